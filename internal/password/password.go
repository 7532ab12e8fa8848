// Package password hashes and verifies user passwords with argon2id, in the PHC string format.
package password

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/trustelem/zxcvbn"
	"golang.org/x/crypto/argon2"
)

// Parameters follow OWASP's argon2id recommendation (19 MiB, 2 passes, 1 lane).
const (
	memoryKiB = 19 * 1024
	passes    = 2
	lanes     = 1
	keyLen    = 32
	saltLen   = 16
)

// The password rule: MinLength to MaxLength characters and, by zxcvbn's estimate, at least MinScore
// (10^8 guesses): no common word, name, date, keyboard walk, repetition or sequence alone, nor the
// user's email, organisation or the product's name.
const (
	MinLength = 12
	MaxLength = 256 // bounds zxcvbn's work, which grows faster than the length
	MinScore  = 3
)

// Guidance is the advice every refusal ends with.
const Guidance = `Use a passphrase of three or four unrelated words, e.g. "copper lantern orbit meadow".`

// Check returns nil when pw follows the password rule, or an error whose message says why not and
// how to choose one. context holds words an attacker would try first (email, organisation).
func Check(pw string, context ...string) error {
	n := utf8.RuneCountInString(pw)
	switch {
	case n < MinLength:
		return fmt.Errorf("The password needs at least %d characters. %s", MinLength, Guidance)
	case n > MaxLength:
		return fmt.Errorf("The password may have at most %d characters. %s", MaxLength, Guidance)
	}
	words := []string{"scopekeeper"}
	for _, c := range context {
		c = strings.ToLower(c)
		words = append(words, c)
		words = append(words, strings.FieldsFunc(c, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })...)
	}
	if zxcvbn.PasswordStrength(pw, words).Score < MinScore {
		return fmt.Errorf("The password is too easy to guess: it is made of common words, names, dates, keyboard patterns, repetitions or the account's own details. %s", Guidance)
	}
	return nil
}

// Hash returns the PHC-formatted argon2id hash of pw.
func Hash(pw string) string {
	salt := make([]byte, saltLen)
	if _, err := rand.Read(salt); err != nil {
		panic(err)
	}
	key := argon2.IDKey([]byte(pw), salt, passes, memoryKiB, lanes, keyLen)
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, memoryKiB, passes, lanes,
		base64.RawStdEncoding.EncodeToString(salt), base64.RawStdEncoding.EncodeToString(key))
}

var errFormat = errors.New("password: not an argon2id hash")

// Verify reports whether pw matches the PHC hash encoded.
func Verify(pw, encoded string) (bool, error) {
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false, errFormat
	}
	var version int
	var memory, time uint32
	var threads uint8
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return false, errFormat
	}
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &memory, &time, &threads); err != nil {
		return false, errFormat
	}
	salt, err := base64.RawStdEncoding.DecodeString(parts[4])
	if err != nil {
		return false, errFormat
	}
	want, err := base64.RawStdEncoding.DecodeString(parts[5])
	if err != nil {
		return false, errFormat
	}
	got := argon2.IDKey([]byte(pw), salt, time, memory, threads, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1, nil
}

// dummy is verified against when the email is unknown, so both failures take similar time.
var dummy = Hash("scopekeeper-timing-equaliser")

// VerifyDummy spends the time of one verification and always fails.
func VerifyDummy(pw string) { _, _ = Verify(pw, dummy) }
