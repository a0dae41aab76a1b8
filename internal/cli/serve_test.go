package cli

import (
	"net"
	"testing"
)

func TestAnonymousRead(t *testing.T) {
	loop := &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 8080}
	loop6 := &net.TCPAddr{IP: net.IPv6loopback, Port: 8080}
	all := &net.TCPAddr{IP: net.IPv4zero, Port: 8080}
	lan := &net.TCPAddr{IP: net.IPv4(10, 0, 0, 5), Port: 8080}
	for _, c := range []struct {
		setting string
		addr    net.Addr
		want    bool
	}{
		{"auto", loop, true},
		{"auto", loop6, true},
		{"auto", all, false},
		{"auto", lan, false},
		{"true", all, true},
		{"false", loop, false},
	} {
		if got := anonymousRead(c.setting, c.addr); got != c.want {
			t.Errorf("anonymousRead(%q, %s) = %v, want %v", c.setting, c.addr, got, c.want)
		}
	}
}
