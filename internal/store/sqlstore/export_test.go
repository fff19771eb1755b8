package sqlstore

// AuthWatchName is the application_name of the session that listens for
// the auth generation's moves.
func (s *Store) AuthWatchName() string { return s.auth.name() }
