package serve

// SetBeforeStep makes the scheduler of s call f before every decode step.
// Call it before the first request.
func SetBeforeStep(s *Server, f func()) { s.sched.beforeStep = f }
