package store

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"strings"

	"golang.org/x/crypto/argon2"
	"golang.org/x/crypto/bcrypt"
)

// Argon2id parameters (OWASP's minimum: 19 MiB, 2 passes, 1 lane).
const (
	argonThreads = 1
	argonKeyLen  = 32
)

var (
	argonTime   uint32 = 2
	argonMemory uint32 = 19 * 1024
)

// SetHashCost changes the argon2id cost of new password hashes (memory in
// KiB, passes). Tests lower it to run fast; existing hashes keep their own
// parameters and still verify. Not safe for concurrent use with HashPassword.
func SetHashCost(memoryKiB, passes uint32) {
	argonMemory, argonTime = memoryKiB, passes
}

// HashPassword returns an argon2id hash of password in the PHC string format.
func HashPassword(password string) string {
	salt := make([]byte, 16)
	rand.Read(salt)
	m, t := argonMemory, argonTime
	key := argon2.IDKey([]byte(password), salt, t, m, argonThreads, argonKeyLen)
	enc := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, m, t, argonThreads,
		enc.EncodeToString(salt), enc.EncodeToString(key))
}

// CheckPasswordHash reports whether password matches hash, an argon2id PHC
// string or a bcrypt hash ($2a$, $2b$, $2y$).
func CheckPasswordHash(hash, password string) bool {
	if strings.HasPrefix(hash, "$2") {
		return bcrypt.CompareHashAndPassword([]byte(hash), []byte(password)) == nil
	}
	parts := strings.Split(hash, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false
	}
	var m, t uint32
	var p uint8
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &m, &t, &p); err != nil {
		return false
	}
	enc := base64.RawStdEncoding
	salt, err1 := enc.DecodeString(parts[4])
	want, err2 := enc.DecodeString(parts[5])
	if err1 != nil || err2 != nil || m > 1<<20 || t > 16 {
		return false
	}
	got := argon2.IDKey([]byte(password), salt, t, m, p, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1
}

// dummyHash is checked against when a username is unknown, so that a login
// takes the same time whether or not the account exists.
var dummyHash = HashPassword("align: no such user")
