package main

import (
	"bytes"
	"encoding/csv"
	"net/url"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestWebAuditFiltersNamesAndCSV: the auditor's page shows staff names beside the ids,
// filters by actor (a name or an id), action prefix, object and period, and exports the
// filtered view as CSV; the export is audited with the filter, in ids, and no name ever
// enters the log. Bad filters get a clear error.
func TestWebAuditFiltersNamesAndCSV(t *testing.T) {
	w := newMatrixWorld(t)
	inv := w.signIn(t, "investigator-plain")
	pro := w.signIn(t, "prosecutor-plain")
	for _, s := range []*staff{inv, pro} {
		if status, b := s.do("GET", "/api/v1/calls?facility=cnty&purpose=filter+test&case=F-1", nil); status != 200 {
			t.Fatalf("search: %d %s", status, b)
		}
	}
	aud := w.signIn(t, "auditor-plain")
	page := func(q url.Values) (int, string) {
		t.Helper()
		status, b := aud.do("GET", "/audit?"+q.Encode(), nil)
		return status, string(b)
	}
	status, all := page(url.Values{})
	if status != 200 || !strings.Contains(all, `<span class="name">investigator-plain</span>`) || !strings.Contains(all, "user:"+inv.userID) {
		t.Fatalf("the audit page shows no staff name: %d", status)
	}
	rows := func(body string) []string {
		i := strings.Index(body, "<tbody>")
		j := strings.Index(body, "</tbody>")
		if i < 0 || j < i {
			return nil
		}
		return strings.Split(strings.TrimSpace(body[i+7:j]), "</tr>")[:strings.Count(body[i:j], "</tr>")]
	}
	for _, actor := range []string{"investigator-plain", "user:" + inv.userID} {
		status, body := page(url.Values{"actor": {actor}, "action": {"calls."}})
		got := rows(body)
		if status != 200 || !strings.Contains(body, `id="filtered"`) || len(got) == 0 {
			t.Fatalf("filter actor %s: %d, %d rows", actor, status, len(got))
		}
		for _, r := range got {
			if !strings.Contains(r, "user:"+inv.userID) || !strings.Contains(r, "calls.search") || strings.Contains(r, pro.userID) {
				t.Fatalf("filter actor %s: row %s", actor, r)
			}
		}
	}
	if _, body := page(url.Values{"object": {"facility:cnty"}, "action": {"calls.search"}}); len(rows(body)) < 2 {
		t.Fatalf("object filter: %d rows", len(rows(body)))
	}
	if _, body := page(url.Values{"until": {"2000-01-01"}}); len(rows(body)) != 0 || !strings.Contains(body, `id="filtered"`) {
		t.Fatalf("until 2000: %d rows", len(rows(body)))
	}
	if _, body := page(url.Values{"since": {w.c.now.Format("2006-01-02")}, "action": {"calls.search"}}); len(rows(body)) < 2 {
		t.Fatalf("since today: %d rows", len(rows(body)))
	}
	for q, msg := range map[string]string{"actor=Nobody+Here": "no staff account has that name", "since=yesterday": "since must be a date",
		"since=2026-11-20&until=2026-11-10": "since must be before until"} {
		status, body := aud.do("GET", "/audit?"+q, nil)
		if status < 400 || status >= 500 || !strings.Contains(string(body), msg) {
			t.Errorf("bad filter %s: %d, want %q", q, status, msg)
		}
	}

	resp := aud.raw("GET", "/audit.csv?action=calls.search&actor=investigator-plain", nil, nil)
	var buf bytes.Buffer
	buf.ReadFrom(resp.Body)
	resp.Body.Close()
	recs, err := csv.NewReader(&buf).ReadAll()
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/csv") || err != nil || len(recs) < 2 {
		t.Fatalf("CSV: %d %q, %d records, %v", resp.StatusCode, resp.Header.Get("Content-Type"), len(recs), err)
	}
	if strings.Join(recs[0], ",") != "time,actor,actor_name,action,object,object_name,outcome,purpose,case,detail" {
		t.Fatalf("CSV header %v", recs[0])
	}
	for _, r := range recs[1:] {
		if r[1] != "user:"+inv.userID || r[2] != "investigator-plain" || r[3] != "calls.search" {
			t.Fatalf("CSV row %v", r)
		}
	}
	exports := 0
	for _, e := range auditEvents(t, aud) {
		if e.Action == "audit.export" && e.Actor == "user:"+aud.userID && e.Detail == "actor=user:"+inv.userID+" action=calls.search" {
			exports++
		}
		for _, f := range []string{e.Actor, e.Object, e.Detail, e.Purpose, e.Case} {
			if strings.Contains(f, "investigator-plain") {
				t.Fatalf("a staff name is in the log: %+v", e)
			}
		}
	}
	if exports != 1 {
		t.Fatalf("%d audit.export events with the filter in ids, want 1", exports)
	}
	if status, _ := inv.do("GET", "/audit.csv", nil); status != 403 {
		t.Fatalf("an investigator exported the log: %d", status)
	}

	// In Chromium: the auditor filters by a name and sees names.
	ctx := newBrowser(t)
	dir := artifactDir(t)
	browserSignIn(t, ctx, w.c, w.srv.base, "auditor-browser", matrixPassword, w.addAuditor(t, "auditor-browser"))
	err = chromedp.Do(ctx,
		chromedp.Navigate(w.srv.base+"/audit"),
		chromedp.WaitVisible(chromedp.CSS("#audit-filter")),
		chromedp.SendKeys(chromedp.CSS("#filter-actor"), "investigator-plain"),
		chromedp.SendKeys(chromedp.CSS("#filter-action"), "calls."),
		chromedp.Click(chromedp.CSS("#filter")),
		chromedp.WaitVisible(chromedp.CSS("#filtered")),
	)
	if err != nil {
		t.Fatalf("filter in the browser: %v", err)
	}
	text, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#events")))
	if err != nil || !strings.Contains(text, "investigator-plain") || strings.Contains(text, "prosecutor-plain") {
		t.Fatalf("filtered events %q, %v", text, err)
	}
	shot(t, ctx, dir, "01-audit-filtered")
}

// addAuditor adds another auditor of cnty (through the CLI, beside the running server) and
// returns its TOTP secret: a browser needs a code no client of the world has spent.
func (w *matrixWorld) addAuditor(t *testing.T, name string) string {
	t.Helper()
	return addStaff(t, w.c, name, "auditor", "--facility", "cnty", matrixPassword)
}
