package dtmf

import (
	"github.com/pion/rtp"

	"parley.dev/parley"
)

// history is how many recent presses a Receiver remembers to recognise their late packets.
const history = 8

// press is what a Receiver remembers of one key press.
type press struct {
	ts     uint32
	seq    uint16 // highest sequence number seen for the press
	maxDur uint16
	code   uint8
	ended  bool
	used   bool
}

// ReceiverStats counts the packets a Receiver did not turn into keys.
type ReceiverStats struct {
	Packets    uint64 // packets received, valid or not
	Keys       uint64 // keys reported
	Repeats    uint64 // packets of presses already reported (updates, end retransmissions, duplicates)
	Stale      uint64 // packets of presses older than the newest reported, never reported (see Receiver)
	Invalid    uint64 // payloads that do not parse
	NonKey     uint64 // events that are not DTMF keys (flash, fax tones…), reported as nothing
	Continuing uint64 // segments continuing a long press (duration overflow, RFC 4733 §2.5.2.3)
}

// Receiver turns the telephone-event packets of one RTP stream into keys, one per press.
// Feed it every packet of the negotiated telephone-event payload type, in arrival order.
//
// Policy:
//   - A press is its RTP timestamp. The first packet seen of a press reports the key; every
//     other packet with that timestamp is a repeat. A press is therefore reported even if
//     its first packets, marker bit included, were lost.
//   - A packet whose timestamp is older (RFC 1982 serial order) than the newest reported
//     press and not among the last 8 presses is stale and dropped: reporting it would put
//     keys out of order, and it is almost certainly a very late repeat.
//   - A sender that reuses the timestamp of an ended press for a new press (non-compliant,
//     but seen in the field) is recognised by an update (E bit clear) with a sequence number
//     newer than every packet of the ended press: that is a new press.
//   - A long press split into segments (the duration field overflows at 65535, RFC 4733
//     §2.5.2.3) continues the previous press: same event, previous segment not ended and at
//     its maximum duration, newer timestamp. It is not reported again.
//   - A change of SSRC starts afresh: the sender restarted its stream.
//
// The zero value is ready to use. A Receiver is not safe for concurrent use; it does not
// allocate.
type Receiver struct {
	started bool
	ssrc    uint32
	recent  [history]press
	next    int    // slot of recent to fill next
	newest  uint32 // timestamp of the newest press
	stats   ReceiverStats
}

// Receive processes one telephone-event packet and returns the key when the packet is the
// first seen of a new press. err is a KindInvalid *parley.Error for a malformed payload.
func (r *Receiver) Receive(h *rtp.Header, payload []byte) (key byte, ok bool, err error) {
	r.stats.Packets++
	var ev Event
	if err := ev.Unmarshal(payload); err != nil {
		r.stats.Invalid++
		return 0, false, parley.WrapError("dtmf.Receiver.Receive", parley.KindInvalid, err)
	}
	if !r.started || h.SSRC != r.ssrc {
		*r = Receiver{started: true, ssrc: h.SSRC, stats: r.stats}
		return r.add(h, ev)
	}
	if p := r.find(h.Timestamp); p != nil {
		newer := int16(h.SequenceNumber-p.seq) > 0
		if p.ended && !ev.End && newer && ev.Duration < p.maxDur {
			// Timestamp reused by a new press.
			p.used = false
			return r.add(h, ev)
		}
		if newer {
			p.seq = h.SequenceNumber
		}
		p.maxDur = max(p.maxDur, ev.Duration)
		p.ended = p.ended || ev.End
		r.stats.Repeats++
		return 0, false, nil
	}
	if int32(h.Timestamp-r.newest) < 0 {
		r.stats.Stale++
		return 0, false, nil
	}
	if last := r.find(r.newest); last != nil && !last.ended && last.code == ev.Code && last.maxDur == 0xFFFF {
		r.stats.Continuing++
		r.remember(h, ev)
		return 0, false, nil
	}
	return r.add(h, ev)
}

// Stats returns the counters.
func (r *Receiver) Stats() ReceiverStats { return r.stats }

func (r *Receiver) find(ts uint32) *press {
	for i := range r.recent {
		if p := &r.recent[i]; p.used && p.ts == ts {
			return p
		}
	}
	return nil
}

func (r *Receiver) remember(h *rtp.Header, ev Event) {
	r.recent[r.next] = press{ts: h.Timestamp, seq: h.SequenceNumber, maxDur: ev.Duration,
		code: ev.Code, ended: ev.End, used: true}
	r.next = (r.next + 1) % history
	r.newest = h.Timestamp
}

func (r *Receiver) add(h *rtp.Header, ev Event) (byte, bool, error) {
	r.remember(h, ev)
	key, ok := ev.Key()
	if !ok {
		r.stats.NonKey++
		return 0, false, nil
	}
	r.stats.Keys++
	return key, true, nil
}
