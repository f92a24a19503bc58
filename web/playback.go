package web

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"sync"
	"time"

	"parley.dev/parley"
	"parley.dev/parley/media/wav"
	"parley.dev/parley/vault"
)

// Playback sessions. A browser seeking in an <audio> element sends many Range requests
// for one recording. The first request of a session for a recording (with its purpose and
// case) is authorized, counted against the bulk-read limits and read from the vault, which
// audits it: one "recording.read" event per playback. The decrypted audio is then kept in
// memory as a short-lived playback grant, keyed by the session's token hash, the recording,
// the purpose and the case, for at most playbackTTL. Each later Range request within the
// grant is still authenticated and decided again (scope, grants, privileged, destroyed) —
// so a revoked grant, a sign-out or a privileged registration ends it at once — but is
// neither audited again nor read from the vault again. Recordings larger than
// maxPlaybackBytes are streamed (each request audited) without Range support.

const (
	playbackTTL      = 10 * time.Minute
	maxPlaybackBytes = 32 << 20
	maxPlaybacks     = 32 // grants held at once; the oldest goes first
)

type playback struct {
	audio   []byte
	ctype   string
	created time.Time
}

// playbacks holds the grants; the zero value is ready.
type playbacks struct {
	mu sync.Mutex
	m  map[string]*playback
}

func (ps *playbacks) get(key string, now time.Time) *playback {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	pb := ps.m[key]
	if pb != nil && now.Sub(pb.created) >= playbackTTL {
		delete(ps.m, key)
		return nil
	}
	return pb
}

func (ps *playbacks) drop(key string) {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	delete(ps.m, key)
}

func (ps *playbacks) put(key string, pb *playback, now time.Time) {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	if ps.m == nil {
		ps.m = map[string]*playback{}
	}
	for k, v := range ps.m {
		if now.Sub(v.created) >= playbackTTL {
			delete(ps.m, k)
		}
	}
	for len(ps.m) >= maxPlaybacks {
		oldest := ""
		for k, v := range ps.m {
			if oldest == "" || v.created.Before(ps.m[oldest].created) {
				oldest = k
			}
		}
		delete(ps.m, oldest)
	}
	ps.m[key] = pb
}

func playbackKey(p *principal, id string, why reason) string {
	h := sha256.Sum256([]byte(p.token + "\x00" + id + "\x00" + why.Purpose + "\x00" + why.Case))
	return hex.EncodeToString(h[:])
}

func sniffAudio(head []byte) string {
	if len(head) >= 12 && bytes.HasPrefix(head, []byte("RIFF")) && string(head[8:12]) == "WAVE" {
		return "audio/wav"
	}
	return "application/octet-stream"
}

// servePlayback answers GET /api/v1/recordings/{id} with Range support.
func (s *Server) servePlayback(w http.ResponseWriter, r *http.Request, p *principal, id string, why reason) error {
	ctx := p.ctx(r)
	key := playbackKey(p, id, why)
	pb := s.plays.get(key, p.now)
	if pb != nil {
		if err := validID("web.openRecording", id); err != nil {
			return err
		}
		if err := s.authorizeRecording(ctx, p, id, why); err != nil {
			s.plays.drop(key)
			return err
		}
	} else {
		rc, err := s.openRecording(ctx, p, id, why)
		if err != nil {
			return err
		}
		defer rc.Close()
		audio, err := io.ReadAll(io.LimitReader(rc, maxPlaybackBytes+1))
		if err != nil {
			return parley.WrapError("web.playback", parley.KindInternal, err)
		}
		if len(audio) > maxPlaybackBytes {
			if total, ok := vault.Size(rc); ok {
				wav.Complete(audio, total)
			}
			return s.streamRest(ctx, w, audio, rc)
		}
		// The vault wrote the header before the length was known (sizes 0xFFFFFFFF): a
		// browser then shows no duration and cannot seek. The length is known now.
		wav.Complete(audio, int64(len(audio)))
		pb = &playback{audio: audio, ctype: sniffAudio(audio), created: p.now}
		s.plays.put(key, pb, p.now)
	}
	w.Header().Set("Content-Type", pb.ctype)
	w.Header().Set("Content-Disposition", "inline")
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(pb.audio))
	return nil
}

// streamRest streams a recording too large to hold: what was read, then the rest.
func (s *Server) streamRest(ctx context.Context, w http.ResponseWriter, head []byte, rest io.Reader) error {
	w.Header().Set("Content-Type", sniffAudio(head))
	w.Header().Set("Content-Disposition", "inline")
	w.WriteHeader(http.StatusOK)
	if _, err := io.Copy(w, io.MultiReader(bytes.NewReader(head), rest)); err != nil {
		s.c.Logger.WarnContext(ctx, "recording stream cut", "err", err)
	}
	return nil
}
