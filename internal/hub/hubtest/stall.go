package hubtest

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"testing"
	"time"
)

// StallBody sends a request to addr (host:port) whose head promises a
// 100-byte body, sends 12 bytes of it and stalls, then returns the answer
// and its body. head is the request line and headers, each line ending in
// CRLF, without Host or Content-Length. A hub that never answers fails the
// test after a minute; that bound keeps a broken hub from hanging the test
// and is not what is tested.
func StallBody(t testing.TB, addr, head string) (*http.Response, string) {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if err := conn.SetDeadline(time.Now().Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if _, err := io.WriteString(conn, head+"Host: hub\r\nContent-Length: 100\r\n\r\n{\"propertie"); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("no answer to a stalled body: %v", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp, string(body)
}
