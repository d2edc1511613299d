package relay

import (
	"net/http"
	"time"
)

// Message is one event on the listen stream (GET /listen/stream): the
// data of one server-sent event whose id is Seq, the cursor.
type Message struct {
	// ID is the stored event's id; Seq its place in the store's sequence.
	ID         string    `json:"id"`
	Seq        int64     `json:"seq"`
	Source     string    `json:"source"`
	Event      string    `json:"event"`
	DeliveryID string    `json:"delivery_id,omitempty"`
	ReceivedAt time.Time `json:"received_at"`
	Method     string    `json:"method"`
	// Header is what Send relays: hop-by-hop headers dropped, credential
	// headers re-attached for the token's holder.
	Header http.Header `json:"headers"`
	// Body is the body as received, byte for byte (base64 in JSON).
	Body []byte `json:"body_base64"`
}

// Ready is the first message of a stream: where it starts.
type Ready struct {
	Cursor  int64    `json:"cursor"`
	Sources []string `json:"sources"`
}

// Stream wire constants: the SSE event names and the path.
const (
	StreamPath   = "/listen/stream"
	EventMessage = "event"
	EventReady   = "ready"
)
