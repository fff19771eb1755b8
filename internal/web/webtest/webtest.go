// Package webtest drives the console in a real browser (Debian's chromium,
// headless, through chromedp) for the console's tests, and keeps a
// screenshot of every page they visit.
package webtest

import (
	"context"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

var update = flag.Bool("update", false, "also write the screenshots to docs/screenshots, which the README shows")

// Widths the console must be usable at: a laptop and a phone.
const (
	Wide   = 1280
	Narrow = 390
)

// Chrome starts a headless chromium for t and returns a browser tab's
// context, closed when t ends. Without chromium the test fails under CI
// (.ci/run installs it) and is skipped elsewhere.
func Chrome(t testing.TB) context.Context {
	t.Helper()
	bin := chromium()
	if bin == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("chromium is not installed: the browser tests need it (apt-get install -y chromium)")
		}
		t.Skip("chromium is not installed; apt-get install -y chromium to run the browser tests")
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(bin), chromedp.NoSandbox,
		chromedp.Flag("disable-gpu", true), chromedp.WindowSize(Wide, 900))
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(alloc)
	t.Cleanup(func() { cancel(); cancelAlloc() })
	if err := chromedp.Do(ctx, chromedp.Navigate("about:blank")); err != nil {
		t.Fatalf("start chromium (%s): %v", bin, err)
	}
	return ctx
}

func chromium() string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// Do runs browser steps, failing t with what was being done. chromedp's
// selectors are typed: chromedp.CSS("#email") finds the first match.
func Do(t testing.TB, ctx context.Context, what string, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// Get runs one browser action that returns a value.
func Get[T any](t testing.TB, ctx context.Context, what string, action chromedp.Action[T]) T {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, action)
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	return v
}

// Submit clicks the element css selects (a form's button or a link) and
// waits until the browser has loaded the page that answers, then until
// waitCSS is visible on it. Waiting for waitCSS alone could pass on the
// page before the click, which the browser is about to leave.
func Submit(t testing.TB, ctx context.Context, what, css, waitCSS string) {
	t.Helper()
	Get(t, ctx, what+": mark the page", chromedp.Evaluate[bool](`window.__leaving = true`))
	Do(t, ctx, what, chromedp.Click(chromedp.CSS(css)))
	loaded(t, ctx, what)
	Do(t, ctx, what+": wait for "+waitCSS, chromedp.WaitVisible(chromedp.CSS(waitCSS)))
}

// loaded waits until the browser shows a new, fully loaded page.
func loaded(t testing.TB, ctx context.Context, what string) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		fresh, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`window.__leaving !== true && document.readyState === "complete"`))
		if err == nil && fresh {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: the next page did not load (%v)", what, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Path is the path of the page the browser shows.
func Path(t testing.TB, ctx context.Context) string {
	t.Helper()
	return Get(t, ctx, "read the location", chromedp.Evaluate[string](`location.pathname`))
}

// SignIn signs the browser in to the hub at base.
func SignIn(t testing.TB, ctx context.Context, base, email, password string) {
	t.Helper()
	Do(t, ctx, "sign in as "+email,
		chromedp.Navigate(base+"/"),
		chromedp.WaitVisible(chromedp.CSS(`#email`)),
		chromedp.SendKeys(chromedp.CSS(`#email`), email),
		chromedp.SendKeys(chromedp.CSS(`#password`), password),
		chromedp.Click(chromedp.CSS(`button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`header.top`)),
	)
}

// Text returns the visible text of the first element matching the CSS
// selector css.
func Text(t testing.TB, ctx context.Context, css string) string {
	t.Helper()
	return Get(t, ctx, "read "+css, chromedp.Text(chromedp.CSS(css)))
}

// Shot keeps a full-page screenshot of the current page, at the laptop and
// the phone width, as name.png and name-narrow.png in the test output
// folder (test-output/screenshots at the repository's root) and, with
// -update, in docs/screenshots.
func Shot(t testing.TB, ctx context.Context, name string) {
	t.Helper()
	shotMu.Lock()
	shotPaths = append(shotPaths, Path(t, ctx))
	shotMu.Unlock()
	root := repoRoot(t)
	dirs := []string{filepath.Join(root, "test-output", "screenshots")}
	if *update {
		dirs = append(dirs, filepath.Join(root, "docs", "screenshots"))
	}
	for _, size := range []struct {
		suffix string
		width  int64
	}{{"", Wide}, {"-narrow", Narrow}} {
		Do(t, ctx, "resize for "+name, chromedp.EmulateViewport(size.width, 900), chromedp.Sleep(100*time.Millisecond))
		png := screenshot(t, ctx, name)
		for _, dir := range dirs {
			if err := os.MkdirAll(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, name+size.suffix+".png"), png, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	Do(t, ctx, "restore the viewport", chromedp.EmulateViewport(Wide, 900))
}

var (
	shotMu    sync.Mutex
	shotPaths []string
)

// ShotPaths are the paths of every page Shot has kept in this test binary.
func ShotPaths() []string {
	shotMu.Lock()
	defer shotMu.Unlock()
	return slices.Clone(shotPaths)
}

// screenshot takes a PNG of the whole page. A live part swapping in while
// the browser captures can detach the page for a moment; one more try
// then gets the settled page.
func screenshot(t testing.TB, ctx context.Context, name string) []byte {
	t.Helper()
	var err error
	for range 3 {
		var png []byte
		if png, err = chromedp.Run(ctx, chromedp.FullScreenshot(100)); err == nil { // 100 makes a PNG
			return png
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("screenshot %s: %v", name, err)
	return nil
}

// repoRoot is the folder holding go.mod, above the test's folder.
func repoRoot(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the test's folder")
		}
		dir = parent
	}
}
