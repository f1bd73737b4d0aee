package serve

import (
	"crypto/sha256"
	"crypto/subtle"
	"fmt"
	"mime"
	"net"
	"net/http"
	"strings"
	"time"
)

// This file guards the server against the network: API keys, request body
// types, write deadlines and who can reach the address.

// auth checks the bearer token when the server has an API key. The tokens
// are compared as SHA-256 digests in constant time, so neither the key nor
// its length can be learnt from how long a refusal takes.
func (s *Server) auth(h http.Handler) http.Handler {
	if s.cfg.APIKey == "" {
		return hostGuard(h)
	}
	want := sha256.Sum256([]byte(s.cfg.APIKey))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		header := r.Header.Get("Authorization")
		scheme, token, _ := strings.Cut(header, " ")
		got := sha256.Sum256([]byte(strings.TrimSpace(token)))
		if strings.EqualFold(scheme, "Bearer") && subtle.ConstantTimeCompare(got[:], want[:]) == 1 {
			h.ServeHTTP(w, r)
			return
		}
		msg := "incorrect API key provided; send the server's key as Authorization: Bearer <key>"
		if header == "" {
			msg = "you did not provide an API key; send it as Authorization: Bearer <key>"
		}
		w.Header().Set("WWW-Authenticate", `Bearer realm="align"`)
		writeError(w, &APIError{Message: msg, Type: typeAuth, Code: strPtr(codeInvalidKey), Status: http.StatusUnauthorized})
	})
}

// hostGuard protects a server without an API key from DNS rebinding: a web
// page whose host name an attacker points at 127.0.0.1 would otherwise reach
// it with the browser's blessing. Without a key, only requests addressed to
// an IP address or to localhost are served; a host name needs --api-key.
func hostGuard(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		host := r.Host
		if hp, _, err := net.SplitHostPort(host); err == nil {
			host = hp
		}
		host = strings.Trim(host, "[]")
		if host == "" || strings.EqualFold(host, "localhost") || net.ParseIP(host) != nil {
			h.ServeHTTP(w, r)
			return
		}
		writeError(w, &APIError{Message: fmt.Sprintf("requests addressed to the host name %q need an API key: start the server with --api-key (or address it by IP or localhost)", host),
			Type: typeAuth, Code: strPtr("host_not_allowed"), Status: http.StatusForbidden})
	})
}

// requireJSON refuses request bodies not sent as application/json with 415.
// A web page may post text/plain or form bodies to any address, this
// machine's included, without the browser asking the server first (no
// CORS preflight); a JSON body it may not.
func requireJSON(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ct := r.Header.Get("Content-Type")
		mt, params, err := mime.ParseMediaType(ct)
		charset := strings.ToLower(params["charset"])
		if err == nil && mt == "application/json" && (charset == "" || charset == "utf-8" || charset == "utf8") {
			h.ServeHTTP(w, r)
			return
		}
		got := "none"
		if ct != "" {
			got = fmt.Sprintf("%q", ct)
		}
		writeError(w, &APIError{
			Message: fmt.Sprintf("the request body must be JSON sent with Content-Type: application/json, got Content-Type %s", got),
			Type:    typeInvalid, Code: strPtr(codeMediaType), Status: http.StatusUnsupportedMediaType})
	})
}

// writeDeadlines gives every write of an answer its own deadline of
// Config.WriteTimeout and clears it while the answer is being generated. A
// client that stops reading is then cut off, while a generation or a stream
// may take as long as it needs: http.Server's WriteTimeout counts from the
// end of the request's headers and would cut those off too.
func (s *Server) writeDeadlines(h http.Handler) http.Handler {
	timeout := s.cfg.WriteTimeout
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		dw := &deadlineWriter{ResponseWriter: w, rc: http.NewResponseController(w), timeout: timeout}
		dw.rc.SetWriteDeadline(time.Time{}) // not yet passed: set when the headers were read
		h.ServeHTTP(dw, r)
		// net/http writes what it still buffers after the handler returns.
		dw.rc.SetWriteDeadline(time.Now().Add(timeout))
	})
}

// deadlineWriter sets a write deadline for each Write and Flush and clears
// it after, so that the deadline never passes between writes (a passed one
// cannot be extended).
type deadlineWriter struct {
	http.ResponseWriter
	rc      *http.ResponseController
	timeout time.Duration
}

func (w *deadlineWriter) Write(b []byte) (int, error) {
	w.rc.SetWriteDeadline(time.Now().Add(w.timeout))
	defer w.rc.SetWriteDeadline(time.Time{})
	return w.ResponseWriter.Write(b)
}

// FlushError is what http.ResponseController.Flush calls.
func (w *deadlineWriter) FlushError() error {
	w.rc.SetWriteDeadline(time.Now().Add(w.timeout))
	defer w.rc.SetWriteDeadline(time.Time{})
	return w.rc.Flush()
}

// Unwrap lets http.ResponseController reach the connection's other methods.
func (w *deadlineWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// Exposed reports whether a server listening on addr can be used from other
// machines by anyone: addr is not a loopback address (127.0.0.1, ::1) and
// no API key is set.
func (s *Server) Exposed(addr net.Addr) bool {
	a, ok := addr.(*net.TCPAddr)
	return ok && !a.IP.IsLoopback() && s.cfg.APIKey == ""
}
