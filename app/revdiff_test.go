package app_test

import (
	"context"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/hookrunner/hookrunner/server"
)

// TestRunShowsRevisionDiffAfterReload: after a reload changes the rule a
// queued run was matched under, the API and the console show that run's
// revision as no longer in force, with a diff holding the changed line.
func TestRunShowsRevisionDiffAfterReload(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "hooks.yaml"), revisionFile(dir, revisionConfig(dir, "A", false)), 0o600); err != nil {
		t.Fatal(err)
	}
	in := startExisting(t, dir, false)
	code, ans := in.postGitHub(t, "gh-test-secret", "push", "", pushBody("refs/heads/main", "sha1"))
	if code != 202 {
		t.Fatalf("push: %d %v", code, ans)
	}
	var runs []struct{ ID string }
	in.getJSON(t, "/api/runs", &runs)
	if len(runs) != 1 {
		t.Fatalf("runs = %v", runs)
	}
	id := runs[0].ID
	var before server.RunDetail
	in.getJSON(t, "/api/runs/"+id, &before)
	if rv := before.Revision; rv == nil || !rv.InForce || rv.Diff != "" {
		t.Fatalf("before the reload: revision %+v, want in force", rv)
	}

	in.rewrite(t, revisionConfig(dir, "B", false))
	in.reloadNow(t)
	var after server.RunDetail
	in.getJSON(t, "/api/runs/"+id, &after)
	rv := after.Revision
	if rv == nil || rv.InForce || rv.Hash != before.Revision.Hash || rv.Current == rv.Hash {
		t.Fatalf("after the reload: revision %+v, want %s not in force", rv, before.Revision.Hash)
	}
	var del, add bool
	for _, l := range strings.Split(rv.Diff, "\n") {
		del = del || strings.HasPrefix(l, "-") && strings.Contains(l, "done; echo A ")
		add = add || strings.HasPrefix(l, "+") && strings.Contains(l, "done; echo B ")
	}
	if !del || !add || strings.Contains(rv.Diff, "gh-test-secret") {
		t.Fatalf("diff lacks the changed command (or shows the secret):\n%s", rv.Diff)
	}

	resp, err := http.Get(in.adm + "/ui/runs/" + id)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	page := string(b)
	if !strings.Contains(page, "changed since") || !strings.Contains(page, `<span class="diff-add">&#43;`) || !strings.Contains(page, "done; echo B") {
		t.Fatalf("run page:\n%s", page)
	}

	// In a browser, under the console's CSP: the diff is styled by the
	// stylesheet (added lines get a background) and links to the revision.
	if bin := chromiumPath(); bin != "" {
		ctx := browser(t, bin)
		var text, bg string
		navigate(t, ctx, in.adm+"/ui/runs/"+id)
		err := chromedp.Run(ctx,
			chromedp.WaitVisible("#revision-diff", chromedp.ByID),
			chromedp.Text("#run-revision", &text, chromedp.ByID),
			chromedp.Evaluate(`getComputedStyle(document.querySelector("#revision-diff .diff-add")).backgroundColor`, &bg),
		)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(text, "changed since") || bg == "" || bg == "rgba(0, 0, 0, 0)" {
			t.Fatalf("run revision %q, added line background %q", text, bg)
		}
		var files string
		err = chromedp.Run(ctx,
			chromedp.Click("#run-revision a", chromedp.ByQuery),
			chromedp.WaitVisible("pre.revision-file", chromedp.ByQuery),
			chromedp.Text("pre.revision-file", &files, chromedp.ByQuery),
		)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(files, "echo A") || strings.Contains(files, "gh-test-secret") || !strings.Contains(files, "[REDACTED]") {
			t.Fatalf("revision page files:\n%s", files)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "release"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
}

func chromiumPath() string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// browser starts a headless Chromium for the test.
func browser(t *testing.T, bin string) context.Context {
	t.Helper()
	profile, err := os.MkdirTemp("", "hookrunner-chromium")
	if err != nil {
		t.Fatal(err)
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(bin), chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true), chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(profile), chromedp.WindowSize(1366, 900))
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	ctx, cancelT := context.WithTimeout(ctx, 60*time.Second)
	t.Cleanup(func() {
		cancelT()
		cancel()
		cancelA()
		os.RemoveAll(profile)
	})
	return ctx
}
