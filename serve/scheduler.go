package serve

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/align-project/align/model"
)

// sequence is one continuation to generate: a prompt and how to sample it.
// The scheduler owns the fields below the line once the job is submitted.
type sequence struct {
	index  int     // choice index within the job
	prompt []int32 // at least one token
	maxNew int     // tokens to generate at most; prompt+maxNew fits the decoder
	opts   sampling
	rng    *rand.Rand
	stop   []int32 // token ids that end the sequence
	// abandon is set by the request goroutine when it needs no more tokens
	// (a stop string was found); the sequence leaves before the next step.
	abandon atomic.Bool

	tokens  []int32 // generated so far
	pending []int32 // to feed to the decoder at the next step
}

// event is what the scheduler reports about one sequence: a new token, or
// its end (finish "stop" or "length"), or a failure.
type event struct {
	index   int
	token   int32
	logprob float32
	top     []candidate
	finish  string // "" while running
	err     error
}

// job is one request's sequences and the channel its events arrive on.
type job struct {
	ctx    context.Context
	seqs   []*sequence
	events chan event // buffered to hold every event, so the scheduler never blocks
	queued time.Time
}

// newJob prepares a job; the events channel can hold every token of every
// sequence plus its end.
func newJob(ctx context.Context, seqs []*sequence) *job {
	n := 0
	for _, q := range seqs {
		n += q.maxNew + 1
	}
	return &job{ctx: ctx, seqs: seqs, events: make(chan event, n), queued: time.Now()}
}

var (
	errQueueFull = &APIError{Message: "the server is busy: too many requests are waiting; retry later",
		Type: typeRate, Code: strPtr(codeQueueFull), Status: 429}
	errClosed = &APIError{Message: "the server is shutting down", Type: typeServer, Code: strPtr(codeShuttingDown), Status: 503}
)

// scheduler runs continuous batching over one model.Decoder (see the package
// doc). Only its run goroutine touches the model and the decoder.
type scheduler struct {
	m        *model.Model
	dec      *model.Decoder
	maxBatch int
	maxLen   int
	metrics  *metrics

	mu     sync.RWMutex // guards closed against submit
	closed bool
	queue  chan *job
	quit   chan struct{}
	done   chan struct{}

	// owned by run
	slots []*sequence // running sequences; nil for a free or dead slot
	owner []*job      // job of each running sequence
	used  []bool      // slot holds or held a sequence since the decoder was reset
	head  *job        // next job, waiting for slots
	smp   sampler
	next  [][]int32

	// beforeStep, when set (by tests, before the first submit), runs before
	// every decode step.
	beforeStep func()
}

func newScheduler(m *model.Model, maxBatch, maxLen, maxQueue int, mt *metrics) (*scheduler, error) {
	dec, err := m.NewDecoder(maxBatch, maxLen)
	if err != nil {
		return nil, fmt.Errorf("serve: %w", err)
	}
	s := &scheduler{
		m: m, dec: dec, maxBatch: maxBatch, maxLen: maxLen, metrics: mt,
		queue: make(chan *job, maxQueue), quit: make(chan struct{}), done: make(chan struct{}),
		slots: make([]*sequence, maxBatch), owner: make([]*job, maxBatch), used: make([]bool, maxBatch),
		next: make([][]int32, maxBatch),
	}
	go s.run()
	return s, nil
}

// submit queues j, or fails at once with a 429 when the queue is full or a
// 503 when the scheduler is closed.
func (s *scheduler) submit(j *job) error {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return errClosed
	}
	select {
	case s.queue <- j:
		s.metrics.queueDepth.Add(1)
		return nil
	default:
		return errQueueFull
	}
}

// close stops the scheduler: running and queued jobs end with errClosed.
// It waits for the run goroutine to exit and may be called more than once.
func (s *scheduler) close() {
	s.mu.Lock()
	if !s.closed {
		s.closed = true
		close(s.quit)
	}
	s.mu.Unlock()
	<-s.done
}

// run is the scheduler loop: admit, step, sample, repeat.
func (s *scheduler) run() {
	defer close(s.done)
	for {
		s.reap()
		if s.running() == 0 {
			s.metrics.running.Store(0)
			if slices.Contains(s.used, true) {
				s.dec.Reset()
				clear(s.used)
			}
			if s.head == nil {
				select {
				case j := <-s.queue:
					s.take(j)
				case <-s.quit:
					s.shutdown()
					return
				}
			}
		}
		select {
		case <-s.quit:
			s.shutdown()
			return
		default:
		}
		s.admit()
		if s.running() > 0 && s.beforeStep != nil {
			s.beforeStep()
			s.reap()
		}
		if s.running() > 0 {
			s.step()
		}
	}
}

// take makes j the head of the line.
func (s *scheduler) take(j *job) {
	s.metrics.queueDepth.Add(-1)
	s.head = j
}

// running counts the sequences in slots.
func (s *scheduler) running() int {
	n := 0
	for _, q := range s.slots {
		if q != nil {
			n++
		}
	}
	return n
}

// admit moves waiting jobs into free slots, compacting the decoder first
// when dead slots keep a job waiting.
func (s *scheduler) admit() {
	for {
		if s.head == nil {
			select {
			case j := <-s.queue:
				s.take(j)
			default:
				return
			}
		}
		if err := s.head.ctx.Err(); err != nil {
			s.head = nil // its client is gone: nobody reads the events
			continue
		}
		need := len(s.head.seqs)
		free, dead := 0, 0
		for i, q := range s.slots {
			switch {
			case !s.used[i]:
				free++
			case q == nil:
				dead++
			}
		}
		if free < need {
			if free+dead < need || dead < max(1, s.maxBatch/4) {
				return // wait for sequences to finish
			}
			s.compact()
		}
		j := s.head
		s.head = nil
		k := 0
		for i := range s.slots {
			if k == len(j.seqs) {
				break
			}
			if !s.used[i] {
				q := j.seqs[k]
				q.pending = q.prompt
				s.slots[i], s.owner[i], s.used[i] = q, j, true
				k++
			}
		}
		s.metrics.observeQueueWait(time.Since(j.queued))
	}
}

// compact resets the decoder and re-feeds the running sequences into the
// first slots, so dead slots become free.
func (s *scheduler) compact() {
	s.metrics.compactions.Add(1)
	s.dec.Reset()
	var seqs []*sequence
	var owners []*job
	for i, q := range s.slots {
		if q != nil {
			seqs = append(seqs, q)
			owners = append(owners, s.owner[i])
		}
	}
	clear(s.slots)
	clear(s.owner)
	clear(s.used)
	for i, q := range seqs {
		// The last sampled token has not been fed yet: it is the end of the
		// history, and the logits after it are what the next step needs.
		q.pending = append(slices.Clip(q.prompt), q.tokens...)
		s.slots[i], s.owner[i], s.used[i] = q, owners[i], true
	}
}

// reap removes sequences whose client went away or that were abandoned.
func (s *scheduler) reap() {
	for i, q := range s.slots {
		if q != nil && (q.abandon.Load() || s.owner[i].ctx.Err() != nil) {
			s.slots[i], s.owner[i] = nil, nil
		}
	}
}

// step feeds every running sequence its pending tokens, samples the next
// token of each, and reports it.
func (s *scheduler) step() {
	for i, q := range s.slots {
		s.next[i] = nil
		if q != nil {
			s.next[i] = q.pending
		}
	}
	start := time.Now()
	logits, err := s.dec.Append(s.next)
	if err != nil {
		s.failAll(fmt.Errorf("decode: %w", err))
		return
	}
	V := s.m.Config.VocabSize
	n := 0
	for i, q := range s.slots {
		if q == nil {
			continue
		}
		n++
		tok, lp, top, err := s.smp.sample(logits[i*V:(i+1)*V], q.opts, q.rng)
		if err != nil {
			s.owner[i].events <- event{index: q.index, err: fmt.Errorf("sample: %w", err)}
			s.slots[i], s.owner[i] = nil, nil
			continue
		}
		q.tokens = append(q.tokens, tok)
		ev := event{index: q.index, token: tok, logprob: lp, top: top}
		switch {
		case slices.Contains(q.stop, tok):
			ev.finish = "stop"
		case len(q.tokens) >= q.maxNew:
			ev.finish = "length"
		}
		s.owner[i].events <- ev
		if ev.finish != "" {
			s.slots[i], s.owner[i] = nil, nil
			continue
		}
		q.pending = q.tokens[len(q.tokens)-1:]
	}
	s.metrics.observeStep(n, time.Since(start))
}

// failAll ends every running sequence with err and empties the decoder.
func (s *scheduler) failAll(err error) {
	for i, q := range s.slots {
		if q != nil {
			s.owner[i].events <- event{index: q.index, err: err}
		}
	}
	clear(s.slots)
	clear(s.owner)
	clear(s.used)
	s.dec.Reset()
}

// shutdown fails what is running and waiting; submit refuses new jobs.
func (s *scheduler) shutdown() {
	s.failAll(errClosed)
	fail := func(j *job) {
		for _, q := range j.seqs {
			j.events <- event{index: q.index, err: errClosed}
		}
	}
	if s.head != nil {
		fail(s.head)
		s.head = nil
	}
	for {
		select {
		case j := <-s.queue:
			s.metrics.queueDepth.Add(-1)
			fail(j)
		default:
			return
		}
	}
}
