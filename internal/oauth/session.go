package oauth

import (
	"strconv"
	"time"

	"github.com/ory/fosite"
)

// Session is what fosite keeps with each token: the authorizing user and
// when each token kind expires.
type Session struct {
	UserID    int64                          `json:"user_id"`
	Email     string                         `json:"email"`
	ExpiresAt map[fosite.TokenType]time.Time `json:"expires_at"`
}

var _ fosite.Session = (*Session)(nil)

func (s *Session) SetExpiresAt(key fosite.TokenType, exp time.Time) {
	if s.ExpiresAt == nil {
		s.ExpiresAt = map[fosite.TokenType]time.Time{}
	}
	s.ExpiresAt[key] = exp
}

func (s *Session) GetExpiresAt(key fosite.TokenType) time.Time { return s.ExpiresAt[key] }

func (s *Session) GetUsername() string { return s.Email }

func (s *Session) GetSubject() string { return strconv.FormatInt(s.UserID, 10) }

func (s *Session) Clone() fosite.Session {
	c := *s
	c.ExpiresAt = make(map[fosite.TokenType]time.Time, len(s.ExpiresAt))
	for k, v := range s.ExpiresAt {
		c.ExpiresAt[k] = v
	}
	return &c
}
