package server

import (
	"crypto/rand"
	"crypto/subtle"
	"sync"
	"time"

	"github.com/blindvault/blindvault/server/store"
)

// Enrolment tickets. A backup release hands the new device a ticket: 32
// random bytes, usable once within enrolTicketTTL, only for that account.
// An account with a second factor enrols a device without a session only
// with one, so the device cannot skip the factor by going straight from a
// copy of the identity key to POST /v1/devices. Tickets live in memory; a
// restart forgets them, and the device asks for the backup again.
const (
	enrolTicketSize = 32
	enrolTicketTTL  = 5 * time.Minute
	enrolTicketsMax = 10_000
)

type enrolTicket struct {
	account store.AccountID
	expires time.Time
}

type enrolTickets struct {
	mu sync.Mutex
	m  map[[enrolTicketSize]byte]enrolTicket
}

func newEnrolTickets() *enrolTickets {
	return &enrolTickets{m: map[[enrolTicketSize]byte]enrolTicket{}}
}

// issue returns a fresh ticket for the account, or nil if too many are
// outstanding (the device then cannot enrol without a session, and asks for
// the backup again later).
func (t *enrolTickets) issue(id store.AccountID, now time.Time) []byte {
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.m) >= enrolTicketsMax {
		for k, e := range t.m {
			if !now.Before(e.expires) {
				delete(t.m, k)
			}
		}
		if len(t.m) >= enrolTicketsMax {
			return nil
		}
	}
	var k [enrolTicketSize]byte
	rand.Read(k[:])
	t.m[k] = enrolTicket{account: id, expires: now.Add(enrolTicketTTL)}
	return k[:]
}

// take uses a ticket up and reports whether it was valid for the account.
func (t *enrolTickets) take(id store.AccountID, ticket []byte, now time.Time) bool {
	if len(ticket) != enrolTicketSize {
		return false
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	k := [enrolTicketSize]byte(ticket)
	e, ok := t.m[k]
	if !ok {
		return false
	}
	delete(t.m, k)
	return subtle.ConstantTimeCompare(e.account[:], id[:]) == 1 && now.Before(e.expires)
}
