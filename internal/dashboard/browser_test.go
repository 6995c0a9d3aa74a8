package dashboard

import (
	"bytes"
	"context"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// chromiumPath is where the CI image installs Chromium.
const chromiumPath = "/usr/bin/chromium"

// newBrowser starts headless Chromium, or skips the test when it is not
// installed (and fails instead under CI, where it must be).
func newBrowser(t *testing.T) context.Context {
	t.Helper()
	if _, err := os.Stat(chromiumPath); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("chromium is required under CI: %v", err)
		}
		t.Skipf("browser tests need %s: %v", chromiumPath, err)
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromiumPath),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true),
		chromedp.WindowSize(1280, 1000),
	)
	// A deadline, not a sleep: every wait below ends by it at the latest.
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	ctx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	t.Cleanup(cancelAlloc)
	ctx, cancelCtx := chromedp.NewContext(ctx)
	t.Cleanup(cancelCtx)
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return ctx
}

// artifacts is where screenshots go: $HEADROOM_ARTIFACTS when set, so
// that CI keeps them, else a temporary folder.
func artifacts(t *testing.T) string {
	t.Helper()
	if dir := os.Getenv("HEADROOM_ARTIFACTS"); dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		return dir
	}
	return t.TempDir()
}

// screenshot saves the whole page as name.png and checks that it is a
// PNG with something drawn on it.
func screenshot(t *testing.T, ctx context.Context, dir, name string) {
	t.Helper()
	buf, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	img, err := png.Decode(bytes.NewReader(buf))
	if err != nil {
		t.Fatalf("screenshot %s is not a PNG: %v", name, err)
	}
	colours := map[[4]uint32]bool{}
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y && len(colours) < 2; y += 7 {
		for x := b.Min.X; x < b.Max.X && len(colours) < 2; x += 7 {
			r, g, bl, a := img.At(x, y).RGBA()
			colours[[4]uint32{r, g, bl, a}] = true
		}
	}
	if len(colours) < 2 {
		t.Errorf("screenshot %s is blank", name)
	}
	if err := os.WriteFile(filepath.Join(dir, name+".png"), buf, 0o644); err != nil {
		t.Fatal(err)
	}
}

// run runs one action and returns its value, failing the test on error.
func run[T any](t *testing.T, ctx context.Context, what string, a chromedp.Action[T]) T {
	t.Helper()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	return v
}

// do runs steps, failing the test on error.
func do(t *testing.T, ctx context.Context, what string, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(ctx, steps...); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

func TestBrowser(t *testing.T) {
	e := newEnv(t, testViews())
	e.history(60, true, "workers")
	ctx := newBrowser(t)
	dir := artifacts(t)
	url := e.srv.URL
	login := func(token string) {
		t.Helper()
		do(t, ctx, "log in", chromedp.Navigate(url+"/login"), chromedp.WaitVisible(chromedp.ID("token")),
			chromedp.SendKeys(chromedp.ID("token"), token), chromedp.Click(chromedp.ID("login")),
			chromedp.WaitVisible(chromedp.CSS("table.groups")))
	}

	// The operator logs in and sees the groups.
	login(operatorToken)
	groups := run(t, ctx, "read the overview", chromedp.Text(chromedp.CSS("table.groups")))
	for _, g := range []string{"workers", "web", "batch", "stale data", "not leader"} {
		if !strings.Contains(groups, g) {
			t.Errorf("overview lacks %q", g)
		}
	}
	screenshot(t, ctx, dir, "overview")

	// A boost that ends before it starts is refused next to its end.
	fill := func(end string) chromedp.Action[chromedp.Void] {
		return chromedp.Steps(
			chromedp.SetValue(chromedp.ID("b-name"), "year-end"),
			chromedp.SetValue(chromedp.ID("b-reason"), "CEO email"),
			chromedp.SetValue(chromedp.ID("b-groups"), "workers"),
			chromedp.SetValue(chromedp.ID("b-start"), "2026-06-02T09:00"),
			chromedp.SetValue(chromedp.ID("b-end"), end),
			chromedp.SetValue(chromedp.ID("b-min"), "25"),
		)
	}
	do(t, ctx, "open boosts", chromedp.Navigate(url+"/boosts"), chromedp.WaitVisible(chromedp.ID("boost-form")))
	do(t, ctx, "submit a bad date", fill("2026-06-02T08:00"), chromedp.Click(chromedp.ID("b-create")),
		chromedp.WaitVisible(chromedp.CSS(".field-error")))
	endError := run(t, ctx, "read the end's message", chromedp.Evaluate[string](`document.querySelector('#b-end').nextElementSibling.textContent`))
	if !strings.Contains(endError, "after start") {
		t.Errorf("message next to end: %q", endError)
	}
	if name := run(t, ctx, "read the name", chromedp.Value(chromedp.ID("b-name"))); name != "year-end" {
		t.Errorf("the refused form lost its name: %q", name)
	}
	screenshot(t, ctx, dir, "boost-field-error")

	// The corrected boost is created and drawn on the timeline.
	do(t, ctx, "create the boost", fill("2026-06-02T18:00"), chromedp.Click(chromedp.ID("b-create")),
		chromedp.WaitVisible(chromedp.CSS("#timeline rect.bar")))
	if table := run(t, ctx, "read the boosts", chromedp.Text(chromedp.CSS("table.boosts"))); !strings.Contains(table, "year-end") ||
		!strings.Contains(table, "scheduled") {
		t.Errorf("boosts table: %q", table)
	}
	screenshot(t, ctx, dir, "boost-timeline")

	// The group page lists it among the upcoming boosts.
	do(t, ctx, "open the group", chromedp.Navigate(url+"/groups/workers"), chromedp.WaitVisible(chromedp.CSS("svg.chart")))
	if up := run(t, ctx, "read the group's boosts", chromedp.Text(chromedp.CSS("table.boosts"))); !strings.Contains(up, "year-end") ||
		!strings.Contains(up, "min 25") {
		t.Errorf("group's boosts: %q", up)
	}
	screenshot(t, ctx, dir, "group")

	// Cancelling it from the boosts page removes it.
	do(t, ctx, "open boosts", chromedp.Navigate(url+"/boosts"),
		chromedp.WaitVisible(chromedp.CSS("table.boosts tr[data-boost] button.danger")))
	// RunResponse waits for the page the cancel form leads to.
	res, err := chromedp.RunResponse(ctx, chromedp.Click(chromedp.CSS("table.boosts tr[data-boost] button.danger")))
	if err != nil || res.Status != 200 || !strings.HasSuffix(res.URL, "/boosts") {
		t.Fatalf("cancel the boost: %v %+v", err, res)
	}
	if n := run(t, ctx, "count boosts", chromedp.Evaluate[int](`document.querySelectorAll('table.boosts tr[data-boost]').length`)); n != 0 {
		t.Errorf("%d boosts still listed", n)
	}
	if bs, err := e.store.ListBoosts(context.Background()); err != nil || len(bs) != 1 || !bs[0].Cancelled() {
		t.Errorf("the boost is not cancelled in the store: %v %v", bs, err)
	}

	// A viewer sees no write forms.
	do(t, ctx, "log out", chromedp.Click(chromedp.CSS("form.logout button")), chromedp.WaitVisible(chromedp.ID("token")))
	login(viewerToken)
	for _, p := range []string{"/", "/groups/workers", "/boosts", "/overrides"} {
		do(t, ctx, "viewer opens "+p, chromedp.Navigate(url+p), chromedp.WaitVisible(chromedp.CSS("#main h1")))
		forms := run(t, ctx, "count write forms", chromedp.Evaluate[int](
			`document.querySelectorAll('form[method="post"]:not([action="/logout"]), button.danger').length`))
		if forms != 0 {
			t.Errorf("viewer sees %d write forms on %s", forms, p)
		}
	}
	screenshot(t, ctx, dir, "viewer-overrides")
	t.Logf("screenshots in %s", dir)
}
