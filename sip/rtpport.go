package sip

import (
	"net"
	"net/netip"
	"sync"

	"parley.dev/parley"
)

// portPool hands out RTP sockets on even ports of a range, round robin, skipping ports in
// use by parley or by anyone else.
type portPool struct {
	ip       netip.Addr // bind address
	min, max int        // even bounds
	mu       sync.Mutex
	next     int
	inUse    map[int]bool
}

func newPortPool(ip netip.Addr, lo, hi int) *portPool {
	if lo%2 == 1 {
		lo++
	}
	return &portPool{ip: ip, min: lo, max: hi, next: lo, inUse: map[int]bool{}}
}

// open binds a UDP socket on a free even port.
func (p *portPool) open() (*net.UDPConn, int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := (p.max-p.min)/2 + 1
	for range n {
		port := p.next
		p.next += 2
		if p.next > p.max {
			p.next = p.min
		}
		if p.inUse[port] {
			continue
		}
		c, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(netip.AddrPortFrom(p.ip, uint16(port))))
		if err != nil {
			continue // taken by another process
		}
		p.inUse[port] = true
		return c, port, nil
	}
	return nil, 0, parley.Errorf("sip.rtpPort", parley.KindUnavailable, "no free RTP port in %d-%d", p.min, p.max)
}

// release returns a port to the pool; the caller has closed its socket.
func (p *portPool) release(port int) {
	p.mu.Lock()
	delete(p.inUse, port)
	p.mu.Unlock()
}
