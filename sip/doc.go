// Package sip is parley's SIP back-to-back user agent (B2BUA): the telephone front end of
// the platform.
//
// A facility phone (through a trusted SIP gateway, see Config.Gateways) calls in; parley
// answers, runs an IVR over RTP that collects the inmate's PIN and the number to call,
// asks the Policy whether the call may go ahead, and dials the number through a SIP trunk
// (Config.Trunk). When the called party answers, parley asks the Recorder whether the call
// may be recorded, announces the call (the correctional facility notice, or the private
// notice when the call will not be recorded) and offers a menu: 1 accepts, 2 refuses, 9
// refuses and blocks the facility. On 1 the two legs are bridged, and the audio is
// recorded (inmate left, called party right) unless the recording gate said no.
//
// Every call attempt that reaches the IVR is a parley.CallRecord, stored the moment the
// INVITE is accepted (before the inmate or the number is known: the store fills them in
// at the policy decision) and rewritten at each state change: attempted, refused,
// dialing, accepted, declined, completed or dropped. A crash never loses an attempt.
//
// # Language
//
// With two or more Config.Languages the inmate first hears the welcome prompt in each
// (1 for the first language, 2 for the second…; barge-in skips the rest); every later
// prompt on the inmate's leg is in the chosen language, the called party's in Config.Lang.
//
// # Concurrent calls
//
// A call counts as live for its facility and inmate from the policy's "allow" until it
// ends; the Policy reads the counts through Server.LiveCalls. The decisions of one
// facility are serialised, so two simultaneous attempts cannot both take the last place.
//
// # Billing
//
// Deps.Billing (optional) authorizes each allowed call before the trunk is dialled: a
// refusal plays insufficient_funds (KindForbidden) or technical_problem (any other error)
// and records reason insufficient_funds / billing_unavailable; the money limit tightens
// the call's MaxDuration, so the one-minute warning plays before the money runs out.
// Settle runs exactly once for every authorized call, before the final record is written,
// with the bridged time; the charge fields it sets are stored with that record.
//
// # Media
//
// Each leg owns one RTP socket from Config.RTPPortMin..RTPPortMax, one read goroutine
// (symmetric RTP through an rtpstream.Latch, RFC 4733 DTMF through a dtmf.Receiver,
// bridged audio forwarded to the other leg in the same goroutine) and one pacing goroutine
// that plays prompts every packet time through the leg's rtpstream.Sequencer. G.711 μ-law
// and A-law are supported with 20 or 30 ms packets, transcoded between legs when they
// differ. DTMF is never forwarded between legs.
//
// # Privacy
//
// Logs carry call ids, never PINs, numbers or names; the logs of the SIP stack (sipgo)
// are filtered to a few technical attributes for the same reason.
//
// # Registered phones
//
// Besides trusted gateways, facility phones may register directly (Deps.Phones). A
// REGISTER is challenged (401) with digest authentication: the algorithms of the phone's
// Digest (SHA-256, RFC 8760, before MD5 when both; MD5 alone for handsets that give up
// on any other challenge), qop=auth, a fresh nonce per challenge; an answer with another
// algorithm is refused. In Go's FIPS mode MD5 is never offered nor computed (MD5Allowed):
// a phone set to MD5 alone is refused with 403 and a warning naming its device id.
// Nonces expire after Config.NonceTTL (stale=true) and each nonce-count may be used once.
// Bindings (one Contact per username, Expires bounded by MinExpires/MaxExpires, 423 below)
// live in memory (Server.Binding). INVITEs from any address that is not a gateway must
// carry valid credentials too (challenged with 407); the call record then takes its
// FacilityID and DeviceID from the Phone, not from the From header. Config.AuthMaxFailures
// failures from one source address lock it out (403) for Config.AuthLockout. Usernames
// (device ids) are logged, credentials never.
//
// # DTMF
//
// Keys come as RFC 4733 events or as SIP INFO (application/dtmf-relay, application/dtmf)
// in either leg's dialog, mixed freely; a key received by both methods within 500 ms is
// counted once (see dtmfDedupWindow).
//
// # CANCEL
//
// When the inmate hangs up while the called number rings, the outbound INVITE is
// cancelled; if the trunk answers anyway (the 200 crossed the CANCEL) the answer is
// acknowledged and hung up. A CANCEL of the inbound INVITE before it was answered ends
// the call record as dropped.
//
// # Ringback
//
// While the trunk rings (180 or 183), the inmate hears the US ringback tone generated
// locally (440 + 480 Hz, 2 s on, 4 s off; see ringback.go); it stops at the answer or at
// the end of the attempt. Early media from the trunk is not played.
//
// # RTP inactivity
//
// A leg whose peer sends no RTP (audio or DTMF events) for Config.MediaTimeout ends the
// call, whatever its stage: both dialogs get a BYE and the record ends as dropped with
// reason "rtp_timeout_inmate" or "rtp_timeout_called". A peer that holds (a=recvonly,
// a=inactive or c=0.0.0.0) is not timed; the timer starts again when it resumes.
//
// # re-INVITE
//
// A re-INVITE in either leg's dialog is answered 200 with the codec and packet time
// negotiated at the start of the leg and the same media address, its direction mirroring
// the offer (a session refresh gets sendrecv, hold with a=sendonly gets recvonly, a=inactive
// gets inactive); an offer without the leg's codec gets 488. While a peer holds, parley
// sends it no media. A new media address in the offer gets a new rtpstream.Latch. Without
// SDP, parley offers its current session in the 200. parley never sends a re-INVITE (see
// reinvite.go).
//
// # One-minute warning
//
// When a Decision has a MaxDuration longer than Config.WarnBefore, both parties hear the
// one_minute prompt WarnBefore before the cut: the pacer of each leg plays it in place of
// the other party's audio (dropped meanwhile), then the bridge resumes. The recording is
// not interrupted and does not contain the warning.
//
// # TLS, SRTP and the trunk account
//
// Config.TLSAddr serves SIP over TLS; a "sips:" (or ";transport=tls") Config.Trunk is
// reached over TLS with its certificate verified, parley's Contact naming the TLS listener.
// Legs signalled over TLS may carry SRTP with SDES keys (srtp.go): encryption sits at the
// leg's socket, so relay, DTMF and recording see plain RTP; keys never go over plain
// signalling (an SRTP offer there gets 488). Config.TrunkUser and TrunkPassword answer the
// trunk's digest challenges; Config.TrunkRegister keeps a registration (trunkreg.go).
//
// # Not implemented yet
//
// Calls toward registered phones; re-INVITEs sent by parley (e.g. to relay one party's
// hold to the other, which now hears silence); codec changes by re-INVITE; early media
// from the trunk; SRTP key changes in a re-INVITE (the keys of the first offer and answer
// stay); SRTCP (RTCP is not used).
package sip
