// Package siptest provides test peers and fakes for package sip: an inmate phone and a
// trunk (called party) built with sipgo and real RTP sockets, an in-memory call store
// keeping every status a record went through, a fixed-PIN policy, a counting recorder
// factory and prompts made of pure tones, so that tests can tell prompts apart by ear.
package siptest

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"strings"
	"sync"
	"time"

	"parley.dev/parley"
	"parley.dev/parley/media"
	"parley.dev/parley/media/g711"
	"parley.dev/parley/media/prompts"
	"parley.dev/parley/media/tone"
	"parley.dev/parley/sip"
)

func newID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// Calls is an in-memory parley.CallService that keeps the history of every record.
type Calls struct {
	mu      sync.Mutex
	records map[string]*parley.CallRecord
	history map[string][]parley.CallStatus
	order   []string
	changed chan struct{}

	// BeforeCreate, when set before the server starts, runs at the start of every
	// CreateCall (tests: hold the server between INVITE and answer).
	BeforeCreate func()
}

// NewCalls returns an empty store.
func NewCalls() *Calls {
	return &Calls{records: map[string]*parley.CallRecord{}, history: map[string][]parley.CallStatus{},
		changed: make(chan struct{}, 1)}
}

// CreateCall implements parley.CallService.
func (s *Calls) CreateCall(_ context.Context, c *parley.CallRecord) error {
	if s.BeforeCreate != nil {
		s.BeforeCreate()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if c.ID == "" {
		c.ID = newID()
	}
	cp := *c
	s.records[c.ID] = &cp
	s.history[c.ID] = append(s.history[c.ID], c.Status)
	s.order = append(s.order, c.ID)
	return nil
}

// UpdateCall implements parley.CallService.
func (s *Calls) UpdateCall(_ context.Context, c *parley.CallRecord) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.records[c.ID]; !ok {
		return parley.Errorf("siptest.UpdateCall", parley.KindNotFound, "no call")
	}
	cp := *c
	s.records[c.ID] = &cp
	h := s.history[c.ID]
	if len(h) == 0 || h[len(h)-1] != c.Status {
		s.history[c.ID] = append(h, c.Status)
	}
	return nil
}

// FindCall implements parley.CallService.
func (s *Calls) FindCall(_ context.Context, id string) (*parley.CallRecord, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.records[id]
	if !ok {
		return nil, parley.Errorf("siptest.FindCall", parley.KindNotFound, "no call")
	}
	cp := *c
	return &cp, nil
}

// FindCalls implements parley.CallService (every record, newest first).
func (s *Calls) FindCalls(_ context.Context, _ parley.CallFilter) ([]*parley.CallRecord, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []*parley.CallRecord
	for i := len(s.order) - 1; i >= 0; i-- {
		cp := *s.records[s.order[i]]
		out = append(out, &cp)
	}
	return out, nil
}

// MarkCallsPrivileged implements parley.CallService.
func (s *Calls) MarkCallsPrivileged(_ context.Context, n parley.Number) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := 0
	for _, c := range s.records {
		if c.Number == n && !c.Privileged {
			c.Privileged = true
			k++
		}
	}
	return k, nil
}

// DropStaleCalls implements parley.CallService.
func (s *Calls) DropStaleCalls(_ context.Context, before time.Time, reason string) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := 0
	for id, c := range s.records {
		switch c.Status {
		case parley.CallAttempted, parley.CallDialing, parley.CallAccepted:
			if c.StartedAt.Before(before) {
				c.Status, c.Reason = parley.CallDropped, reason
				s.history[id] = append(s.history[id], c.Status)
				k++
			}
		}
	}
	return k, nil
}

// All returns copies of every record, oldest first, with their status histories.
func (s *Calls) All() ([]parley.CallRecord, [][]parley.CallStatus) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var recs []parley.CallRecord
	var hist [][]parley.CallStatus
	for _, id := range s.order {
		recs = append(recs, *s.records[id])
		hist = append(hist, append([]parley.CallStatus(nil), s.history[id]...))
	}
	return recs, hist
}

// Inmate is an entry of FixedPolicy.
type Inmate struct {
	ID, Name string
}

// FixedPolicy allows calls by PIN: a known PIN may call any dialed number of 10 or more
// digits (a '+' is prepended); an unknown PIN is refused with sip.ReasonInvalidPIN.
type FixedPolicy struct {
	PINs        map[string]Inmate
	MaxDuration time.Duration
}

// Authorize implements sip.Policy.
func (p *FixedPolicy) Authorize(_ context.Context, a sip.Attempt) (sip.Decision, error) {
	in, ok := p.PINs[a.PIN]
	if !ok {
		return sip.Decision{Reason: sip.ReasonInvalidPIN}, nil
	}
	d := sip.Decision{InmateID: in.ID, InmateName: in.Name, MaxDuration: p.MaxDuration}
	n := parley.Number("+" + a.Dialed)
	if len(a.Dialed) < 10 || !n.Valid() {
		d.Reason = sip.ReasonNumberNotAllowed
		return d, nil
	}
	d.Allow, d.Number = true, n
	return d, nil
}

// Recorder is a recorder factory with a fixed verdict; it counts calls and writers.
type Recorder struct {
	Verdict parley.RecordVerdict

	mu      sync.Mutex
	calls   int
	writers []*Writer
}

// Record implements sip.Recorder.
func (r *Recorder) Record(_ context.Context, callID string, _ parley.CallParties, _ parley.RecordClass) (sip.RecordingWriter, parley.RecordVerdict, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls++
	if !r.Verdict.Record {
		return nil, r.Verdict, nil
	}
	w := &Writer{id: "rec-" + callID}
	r.writers = append(r.writers, w)
	return w, r.Verdict, nil
}

// Counts returns how many times Record was called and how many writers were created.
func (r *Recorder) Counts() (calls, writers int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.calls, len(r.writers)
}

// Writers returns the writers created.
func (r *Recorder) Writers() []*Writer {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]*Writer(nil), r.writers...)
}

// Writer is an in-memory recording.
type Writer struct {
	id      string
	mu      sync.Mutex
	buf     bytes.Buffer
	closed  bool
	aborted bool
}

// Write implements sip.RecordingWriter.
func (w *Writer) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.Write(p)
}

// Close implements sip.RecordingWriter.
func (w *Writer) Close() error {
	w.mu.Lock()
	w.closed = true
	w.mu.Unlock()
	return nil
}

// Abort implements sip.RecordingWriter.
func (w *Writer) Abort() error {
	w.mu.Lock()
	w.aborted = true
	w.mu.Unlock()
	return nil
}

// ID implements sip.RecordingWriter.
func (w *Writer) ID() string { return w.id }

// State returns the bytes written and whether the writer was closed or aborted.
func (w *Writer) State() (data []byte, closed, aborted bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]byte(nil), w.buf.Bytes()...), w.closed, w.aborted
}

// Blocks records block requests.
type Blocks struct {
	mu     sync.Mutex
	blocks []string
}

// Block implements sip.Blocks.
func (b *Blocks) Block(_ context.Context, facilityID string, n parley.Number, callID string) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.blocks = append(b.blocks, facilityID+" "+string(n)+" "+callID)
	return nil
}

// List returns "facility number callID" for every block.
func (b *Blocks) List() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]string(nil), b.blocks...)
}

// PromptFreq is the tone of each prompt of TonePrompts.
var PromptFreq = map[prompts.ID]float64{
	prompts.EnterPIN: 500, prompts.EnterNumber: 550, prompts.Monitored: 700,
	prompts.Private: 1100, prompts.AcceptMenu: 900, prompts.InvalidPIN: 1000,
	prompts.CallRefused: 800, prompts.NumberBlocked: 850, prompts.Goodbye: 450,
	prompts.NumberNotAllowed: 1050, prompts.OneMinute: 1200,
	prompts.InsufficientFunds: 1150, prompts.TechnicalProblem: 1250, prompts.TooSoon: 1300,
	prompts.TooManyCalls: 1350, prompts.Welcome: 650, prompts.OutsideHours: 750,
	prompts.QuotaExceeded: 950, prompts.Lockdown: 1000 + 75,
}

// SpanishOffset is added to a prompt's tone in Spanish, so tests can tell languages apart.
const SpanishOffset = 1600

// PromptTone is the tone of a prompt in a language under TonePrompts.
func PromptTone(id prompts.ID, lang prompts.Lang) float64 {
	f, ok := PromptFreq[id]
	if !ok {
		f = 350
	}
	if lang == prompts.Spanish {
		f += SpanishOffset
	}
	return f
}

// TonePrompts plays each prompt as a pure tone (PromptTone: PromptFreq, 350 Hz for the
// others, SpanishOffset higher in Spanish) of Length (400 ms when zero), so tests are
// fast and can tell prompts and their languages apart.
type TonePrompts struct {
	Length time.Duration
}

// Prompt implements sip.Prompts.
func (p TonePrompts) Prompt(id prompts.ID, lang prompts.Lang) ([][]byte, error) {
	if strings.TrimSpace(string(id)) == "" {
		return nil, parley.Errorf("siptest.Prompt", parley.KindNotFound, "no prompt")
	}
	f := PromptTone(id, lang)
	l := p.Length
	if l == 0 {
		l = 400 * time.Millisecond
	}
	n := int(l / (20 * time.Millisecond))
	s := tone.NewSine(f, 8000, media.SampleRate)
	pcm := make([]int16, media.Frame20)
	frames := make([][]byte, n)
	for i := range frames {
		s.Fill(pcm)
		frames[i] = make([]byte, media.Frame20)
		g711.UlawEncode(frames[i], pcm)
	}
	return frames, nil
}

// Phones is an in-memory sip.Phones.
type Phones struct {
	mu sync.Mutex
	m  map[string]sip.Phone
}

// Add stores a phone under its username.
func (p *Phones) Add(username string, ph sip.Phone) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.m == nil {
		p.m = map[string]sip.Phone{}
	}
	p.m[username] = ph
}

// FindPhone implements sip.Phones.
func (p *Phones) FindPhone(_ context.Context, username string) (sip.Phone, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	ph, ok := p.m[username]
	if !ok {
		return sip.Phone{}, parley.Errorf("siptest.FindPhone", parley.KindNotFound, "no phone")
	}
	return ph, nil
}
