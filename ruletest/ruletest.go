// Package ruletest runs rule tests, like `promtool test rules`: test
// cases kept beside hooks.yaml (hooks.test.yaml, or the files its tests:
// key names), each a request a sender would send — source, event type,
// headers, payload — and the answers expected of the rules: which match,
// which do not, and what each matched rule's actions would run (the
// rendered argv, env and stdin of a command; the method, URL, headers and
// body of an HTTP call; the record of a CRM upsert), secrets redacted.
//
// It runs nothing: no command, no HTTP call, no store. The request is
// taken as verified (the test says what the sender sent) and decoded as
// ingest decodes a verified request; the rules decide through
// ruleset.Explain, the code behind `hookrunner explain` and the console.
package ruletest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/hookrunner/hookrunner/actions"
	"github.com/hookrunner/hookrunner/internal/redact"
	"github.com/hookrunner/hookrunner/ruleset"
)

// Options say which config and tests to run.
type Options struct {
	// Config is the path of hooks.yaml.
	Config string
	// Files are the test files; none: the config's tests: files, or
	// hooks.test.yaml beside it.
	Files []string
	// Update rewrites the expected answers of every case from what the
	// rules decide now.
	Update bool
	// Verbose prints passing cases too.
	Verbose bool
	// Out receives the report (redacted).
	Out io.Writer
}

// CaseResult is the outcome of one case.
type CaseResult struct {
	File   string
	Line   int
	Name   string
	Passed bool
	// Problems say what differs, one entry each; Diff shows the expected
	// and the actual answers as a unified diff.
	Problems []string
	Diff     string
}

// Result is the outcome of a run.
type Result struct {
	Files  []string
	Cases  []CaseResult
	Passed int
	Failed int
	// Updated lists the files --update rewrote.
	Updated []string
}

// Run loads the config, runs every case of the test files and writes a
// report to opts.Out: each failing case with its problems and a diff, then
// a summary. A config that does not load or a test file that is not valid
// is an error (with file and line); failing cases are not: they are in
// the Result.
func Run(ctx context.Context, opts Options) (Result, error) {
	var res Result
	out := opts.Out
	if out == nil {
		out = io.Discard
	}
	snap, err := ruleset.Load(opts.Config)
	if err != nil {
		return res, err
	}
	defer snap.Close()
	red := snap.Redactor
	files := opts.Files
	if len(files) == 0 {
		if files, err = snap.Config.TestFiles(); err != nil {
			return res, err
		}
	}
	res.Files = files
	var parsed []*testFile
	var errs []error
	for _, path := range files {
		f, err := parseFile(path)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		parsed = append(parsed, f)
	}
	if len(errs) > 0 {
		return res, red.Error(errors.Join(errs...))
	}
	for _, f := range parsed {
		answers := map[*testCase]answer{}
		var report strings.Builder
		failed := 0
		for _, c := range f.cases {
			if err := ctx.Err(); err != nil {
				return res, err
			}
			cr := CaseResult{File: f.path, Line: c.line, Name: c.name}
			o, err := decide(snap, c)
			if err != nil {
				cr.Problems = []string{err.Error()}
			} else {
				cr.Problems, cr.Diff = check(c, o, red)
				answers[c] = answerOf(o, red)
			}
			// What a case reports may quote the payload or the config.
			for i, p := range cr.Problems {
				cr.Problems[i] = red.String(p)
			}
			cr.Diff = red.String(cr.Diff)
			cr.Passed = len(cr.Problems) == 0
			if _, answered := answers[c]; !cr.Passed && opts.Update && answered {
				// --update: the difference is the new expectation.
				fmt.Fprintf(&report, "  updated  %s:%d: %s\n", displayPath(f.path), c.line, c.name)
				cr.Passed, cr.Problems, cr.Diff = true, nil, ""
				res.Passed++
				res.Cases = append(res.Cases, cr)
				continue
			}
			if cr.Passed {
				res.Passed++
				if opts.Verbose {
					fmt.Fprintf(&report, "  ok    %s\n", c.name)
				}
			} else {
				res.Failed++
				failed++
				writeFailure(&report, cr)
			}
			res.Cases = append(res.Cases, cr)
		}
		status := "ok  "
		if failed > 0 {
			status = "FAIL"
		}
		fmt.Fprintf(&report, "%s  %s  (%s, %d failed)\n", status, displayPath(f.path), plural(len(f.cases), "case"), failed)
		if opts.Update {
			if err := update(f, answers); err != nil {
				return res, err
			}
			res.Updated = append(res.Updated, f.path)
		}
		if _, err := io.WriteString(out, red.String(report.String())); err != nil {
			return res, err
		}
	}
	_, err = fmt.Fprintf(out, "%s in %s: %d passed, %d failed\n", plural(res.Passed+res.Failed, "case"), plural(len(parsed), "file"), res.Passed, res.Failed)
	return res, err
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}

// answerOf is what --update writes for an outcome, redacted (the plans
// already are).
func answerOf(o *outcome, red *redact.Redactor) answer {
	a := answer{refused: red.String(o.refused), plans: map[string][]actions.Plan{}}
	for _, d := range o.decisions {
		if d.Matched {
			a.matched = append(a.matched, d.Rule)
			a.plans[d.Rule] = d.Plans
		}
	}
	return a
}

func writeFailure(b *strings.Builder, cr CaseResult) {
	fmt.Fprintf(b, "  FAIL  %s:%d: %s\n", displayPath(cr.File), cr.Line, cr.Name)
	for _, p := range cr.Problems {
		fmt.Fprintf(b, "        %s\n", strings.ReplaceAll(p, "\n", "\n        "))
	}
	if cr.Diff != "" {
		for _, l := range strings.SplitAfter(strings.TrimRight(cr.Diff, "\n"), "\n") {
			fmt.Fprintf(b, "        %s", l)
		}
		b.WriteString("\n")
	}
}

func displayPath(p string) string {
	if !filepath.IsAbs(p) {
		return p
	}
	if wd, err := filepath.Abs("."); err == nil {
		if rel, err := filepath.Rel(wd, p); err == nil && !strings.HasPrefix(rel, "..") {
			return rel
		}
	}
	return p
}
