package feedback

import (
	"context"
	"math"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/align-project/align/internal/feedback/store"
)

// The login rate limit. Every attempt is charged, before its password is
// checked, to two counters of fixed windows (Config.LoginWindow, 10 minutes)
// kept in the database:
//
//   - the account from the client's address: Config.LoginFailures (10)
//     attempts. When they are used up that name is refused from that address
//     only. The same account from any other address logs in as usual, so
//     someone guessing the admin's password locks out themself, not the
//     admin.
//   - the client's address over every name: Config.LoginAddressFailures (50)
//     attempts, so that one address cannot spray guesses over many accounts.
//     It is higher than the per-account limit so that one person's typos do
//     not shut out colleagues behind the same NAT.
//
// There is deliberately no limit per account over all addresses: it would
// hand the lockout back to the attacker. Guesses from many addresses are
// slowed by the argon2id hashes and each address's own limits. A successful
// login is not a failure: it clears its account-from-address count and gives
// its attempt back to the address.
//
// Because the counts live in the database, a restart does not lift a
// lockout, and every app instance on one database shares them. An address is
// an IPv4 address or an IPv6 /64 (one host usually owns a whole /64); behind
// a reverse proxy listed in Config.TrustedProxies it is the client's address
// from X-Forwarded-For, since otherwise every client would share the proxy's.

// loginKeys are the counters a login attempt of name from addr is charged to.
type loginKeys struct {
	account, address string
}

func (s *Server) loginKeys(r *http.Request, name string) loginKeys {
	addr := s.clientAddr(r)
	key := addr.String()
	if addr.Is6() {
		key = netip.PrefixFrom(addr, 64).Masked().String()
	}
	return loginKeys{account: "account:" + name + "\x00address:" + key, address: "address:" + key}
}

// chargeLogin counts the attempt; a *store.LoginLimitError means refused.
func (s *Server) chargeLogin(ctx context.Context, k loginKeys) error {
	return s.store.ChargeLoginAttempt(ctx, s.cfg.LoginWindow,
		store.LoginLimit{Key: k.account, Max: s.cfg.LoginFailures},
		store.LoginLimit{Key: k.address, Max: s.cfg.LoginAddressFailures})
}

// loginSucceeded forgives the account's failures from this address and
// refunds the attempt to the address.
func (s *Server) loginSucceeded(ctx context.Context, k loginKeys) error {
	if err := s.store.ForgetLoginAttempts(ctx, k.account); err != nil {
		return err
	}
	return s.store.RefundLoginAttempt(ctx, k.address)
}

// clientAddr is the address of the client: the peer, or when the peer is a
// trusted proxy, the last address in X-Forwarded-For that is not one (the
// ones before it were written by the client and prove nothing).
func (s *Server) clientAddr(r *http.Request) netip.Addr {
	ap, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil {
		return netip.Addr{}
	}
	addr := ap.Addr().Unmap()
	if !s.trustedProxy(addr) {
		return addr
	}
	hops := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
	for i := len(hops) - 1; i >= 0; i-- {
		a, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
		if err != nil {
			break
		}
		addr = a.Unmap()
		if !s.trustedProxy(addr) {
			break
		}
	}
	return addr
}

func (s *Server) trustedProxy(a netip.Addr) bool {
	for _, p := range s.proxies {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// retryAfter is the Retry-After header's whole seconds until t (at least 1).
func retryAfter(now, t time.Time) string {
	return strconv.FormatInt(max(1, int64(math.Ceil(t.Sub(now).Seconds()))), 10)
}
