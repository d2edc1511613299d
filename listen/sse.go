package listen

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
)

// sseEvent is one server-sent event.
type sseEvent struct {
	name string
	id   string
	data []byte
}

// errLineTooLong is a stream line longer than the reader accepts.
var errLineTooLong = errors.New("stream line too long")

// readLine returns the next line without its end (\n or \r\n), refusing
// lines longer than maxLen.
func readLine(br *bufio.Reader, maxLen int) ([]byte, error) {
	var line []byte
	for {
		chunk, err := br.ReadSlice('\n')
		if len(line)+len(chunk) > maxLen+2 {
			return nil, fmt.Errorf("%w (over %d bytes)", errLineTooLong, maxLen)
		}
		line = append(line, chunk...)
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		if err != nil {
			return nil, err
		}
		line = bytes.TrimSuffix(line[:len(line)-1], []byte("\r"))
		return line, nil
	}
}

// readEvent reads the next event, skipping comments (heartbeats); seen is
// called after every line read (the idle watchdog).
func readEvent(br *bufio.Reader, maxLen int, seen func()) (sseEvent, error) {
	var ev sseEvent
	var data bytes.Buffer
	started := false
	for {
		line, err := readLine(br, maxLen)
		if err != nil {
			return ev, err
		}
		seen()
		if len(line) == 0 {
			if started {
				ev.data = data.Bytes()
				return ev, nil
			}
			continue
		}
		if line[0] == ':' {
			continue
		}
		field, value, _ := bytes.Cut(line, []byte(":"))
		value = bytes.TrimPrefix(value, []byte(" "))
		started = true
		switch string(field) {
		case "event":
			ev.name = string(value)
		case "id":
			ev.id = string(value)
		case "data":
			if data.Len() > 0 {
				data.WriteByte('\n')
			}
			data.Write(value)
		}
	}
}
