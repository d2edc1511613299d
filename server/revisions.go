package server

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/knadh/koanf/parsers/yaml"

	"github.com/hookrunner/hookrunner/engine"
	"github.com/hookrunner/hookrunner/internal/redact"
	"github.com/hookrunner/hookrunner/internal/textdiff"
	"github.com/hookrunner/hookrunner/internal/yamlsecret"
	"github.com/hookrunner/hookrunner/store"
)

// diffContext is the number of unchanged lines shown around a change.
const diffContext = 3

// RunRevision tells which config revision a run was matched (or replayed)
// under, whether that is the config in force, and what changed since.
type RunRevision struct {
	// Hash is the run's revision ("" for a run recorded before revisions
	// were kept: it executes under the config in force).
	Hash string `json:"hash"`
	// Current is the revision in force.
	Current string `json:"current"`
	InForce bool   `json:"in_force"`
	// Diff is the unified diff of the files from Hash to Current, redacted;
	// empty when the texts are equal.
	Diff string `json:"diff"`
	// Note explains an empty Diff under a different hash, or a revision
	// the store does not hold.
	Note string `json:"note,omitempty"`
}

// RevisionDetail is one stored revision as the API shows it.
type RevisionDetail struct {
	Hash      string            `json:"hash"`
	Path      string            `json:"path"`
	CreatedAt time.Time         `json:"created_at"`
	Files     map[string]string `json:"files"`
	// Current is the revision in force; Diff goes from this one to it.
	Current string `json:"current"`
	InForce bool   `json:"in_force"`
	Diff    string `json:"diff"`
	Note    string `json:"note,omitempty"`
}

// short is how the console and diff headers name a revision.
func short(hash string) string {
	if len(hash) > 12 {
		return hash[:12]
	}
	return hash
}

// RevisionOf describes the config revision hash against the config in
// force of e. The diff passes through the engine's redactor and the
// secrets found in the files themselves (a revision may hold literal
// secrets the config in force no longer knows).
func RevisionOf(ctx context.Context, e RevisionSource, hash string) (*RunRevision, error) {
	rr, _, err := revisionOf(ctx, e, hash, false)
	return rr, err
}

// revisionOf is RevisionOf that also returns the revision, redacted the
// same way, when withFiles (nil when the store does not hold it).
func revisionOf(ctx context.Context, e RevisionSource, hash string, withFiles bool) (*RunRevision, *store.Revision, error) {
	cur := engine.Revision(e.Snapshot())
	rr := &RunRevision{Hash: hash, Current: cur.Hash, InForce: hash == cur.Hash}
	if hash == "" {
		rr.Note = "recorded before config revisions were kept; it runs under the config in force"
		return rr, nil, nil
	}
	if rr.InForce && !withFiles {
		return rr, nil, nil
	}
	old := cur
	if !rr.InForce {
		var err error
		old, err = e.GetRevision(ctx, hash)
		if errors.Is(err, store.ErrNotFound) {
			rr.Note = "this revision is not in the store"
			return rr, nil, nil
		}
		if err != nil {
			return nil, nil, err
		}
	}
	red := revisionRedactor(e.Redactor(), old, cur)
	oldR := redactRevision(red, old)
	if !rr.InForce {
		curR := redactRevision(red, cur)
		rr.Diff = textdiff.Files(short(hash)+"/", short(cur.Hash)+"/", oldR.Files, curR.Files, diffContext)
		if rr.Diff == "" {
			rr.Note = "the files are the same; a secret file or the environment they refer to changed"
		}
	}
	return rr, oldR, nil
}

// revisionRedactor is red plus every secret the files of revs reveal by
// their structure (redact.Find on each parsed file): literal tokens under
// secret-named keys, URL passwords, Bearer tokens. ${VAR} references are
// not secrets and stay readable.
func revisionRedactor(red *redact.Redactor, revs ...*store.Revision) *redact.Redactor {
	var found []string
	for _, rev := range revs {
		for _, text := range rev.Files {
			tree, err := yaml.Parser().Unmarshal([]byte(text))
			if err != nil {
				continue // shown as unparseable by redactRevision
			}
			for _, v := range redact.Find(tree) {
				if strings.Contains(v, "${") {
					continue
				}
				found = append(found, v)
				// A multi-line value (a PEM key in a block scalar) is
				// indented in the text: hide each of its lines too.
				if strings.Contains(v, "\n") {
					for _, l := range strings.Split(v, "\n") {
						if l = strings.TrimSpace(l); len(l) >= 8 {
							found = append(found, l)
						}
					}
				}
			}
		}
	}
	return red.Merge(redact.New(found...))
}

// unparseable replaces a file whose secrets cannot be found.
const unparseable = "# (not shown: this file does not parse as YAML, so its secrets cannot be found)\n"

// redactRevision returns a copy of rev with every file redacted by red:
// each scalar by its parsed value, rewritten where it stands (a secret
// written with YAML escapes, doubled quotes or wrapped over lines is not
// in the text as red knows it), then the whole text (comments).
func redactRevision(red *redact.Redactor, rev *store.Revision) *store.Revision {
	c := *rev
	c.Files = make(map[string]string, len(rev.Files))
	for name, text := range rev.Files {
		masked, err := yamlsecret.Rewrite(text, func(s yamlsecret.Scalar) (string, bool) {
			if out := red.String(s.Value); out != s.Value {
				return yamlsecret.Quote(out), true
			}
			return "", false
		})
		if err != nil {
			c.Files[name] = unparseable
			continue
		}
		c.Files[name] = red.String(masked)
	}
	return &c
}

func (a *Admin) listRevisions(w http.ResponseWriter, r *http.Request) {
	limit, _ := strconv.Atoi(r.URL.Query().Get("limit"))
	revs, err := a.Engine.ListRevisions(r.Context(), limit)
	if err != nil {
		storeFail(w, err)
		return
	}
	type item struct {
		Hash      string    `json:"hash"`
		CreatedAt time.Time `json:"created_at"`
		InForce   bool      `json:"in_force"`
	}
	cur := a.Engine.Snapshot().Hash
	out := make([]item, 0, len(revs))
	for _, rev := range revs {
		out = append(out, item{Hash: rev.Hash, CreatedAt: rev.CreatedAt, InForce: rev.Hash == cur})
	}
	writeJSON(w, http.StatusOK, out)
}

func (a *Admin) getRevision(w http.ResponseWriter, r *http.Request) {
	d, err := revisionDetail(r.Context(), a.Engine, r.PathValue("hash"))
	if err != nil {
		storeFail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, d)
}

// revisionDetail is a stored revision, redacted, with its diff to the
// config in force; ErrNotFound when the store does not hold it.
func revisionDetail(ctx context.Context, e RevisionSource, hash string) (*RevisionDetail, error) {
	if hash == "" {
		return nil, fmt.Errorf("revision: %w", store.ErrNotFound)
	}
	rr, rev, err := revisionOf(ctx, e, hash, true)
	if err != nil {
		return nil, err
	}
	if rev == nil {
		return nil, fmt.Errorf("revision %s: %w", short(hash), store.ErrNotFound)
	}
	return &RevisionDetail{Hash: rev.Hash, Path: rev.Path, CreatedAt: rev.CreatedAt, Files: rev.Files,
		Current: rr.Current, InForce: rr.InForce, Diff: rr.Diff, Note: rr.Note}, nil
}
