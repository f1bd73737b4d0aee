package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// MaxCommentLen bounds a label's comment, in bytes.
const MaxCommentLen = 4000

// Submission is what an annotator sends for an item, in the orientation they
// saw: Left is the response shown as "A", Right the one shown as "B".
type Submission struct {
	UserID       int64
	AssignmentID int64
	Preference   Preference // as shown: A = left, B = right
	Left, Right  Ratings
	Harmful      bool
	Comment      string

	// ReserveNext also reserves the annotator's next item of the project, in
	// the label's transaction: the page after a label needs one, and this
	// saves it a second commit (and its wait for the disk). Having no item to
	// give (ErrNoWork, ErrPaused) does not fail the label.
	ReserveNext bool
}

// SubmitLabel records a label for the user's reserved item. The label is
// stored in the pair's orientation (undoing the side swap) and never changed
// afterwards. A second submission for the same pair gets ErrAlreadyLabeled; a
// submission after the reservation expired is accepted only while the pair
// still has room. A gold answer may pause the annotator (see Project).
func (s *Store) SubmitLabel(ctx context.Context, sub Submission) (*Label, error) {
	if !sub.Preference.Valid() || !sub.Left.Valid() || !sub.Right.Valid() {
		return nil, fmt.Errorf("%w: a preference and six ratings from 1 to 10 are required", ErrInvalid)
	}
	if len(sub.Comment) > MaxCommentLen {
		return nil, fmt.Errorf("%w: comment longer than %d bytes", ErrInvalid, MaxCommentLen)
	}
	var l *Label
	err := s.withTx(ctx, func(t tx) error {
		l = nil
		var (
			pairID, userID, projectID, reserved int64
			swapped                             int
			state, gold                         string
		)
		err := t.queryRow(ctx, `SELECT a.pair_id, a.user_id, a.project_id, a.swapped, a.state, a.reserved_at, p.gold
			FROM assignments a JOIN pairs p ON p.id = a.pair_id
			WHERE a.id = $1`+s.forUpdateOf("a"), sub.AssignmentID).
			Scan(&pairID, &userID, &projectID, &swapped, &state, &reserved, &gold)
		if errors.Is(err, sql.ErrNoRows) || (err == nil && userID != sub.UserID) {
			return ErrNotFound
		}
		if err != nil {
			return err
		}
		switch state {
		case stateDone:
			return ErrAlreadyLabeled
		case stateSkipped:
			return ErrNotFound
		case stateExpired:
			// The slot went back to the pair when the reservation expired (an
			// open reservation past its time still holds it): take a slot
			// again if one is left.
			if gold == "" {
				res, err := t.exec(ctx, `UPDATE pair_slots SET free = free - 1 WHERE pair_id = $1 AND free > 0`, pairID)
				if err != nil {
					return err
				}
				if n, _ := res.RowsAffected(); n == 0 {
					return ErrExpired
				}
			}
		}
		now := s.nowMS()
		pref, a, b := sub.Preference, sub.Left, sub.Right
		if swapped != 0 {
			pref, a, b = pref.Flip(), sub.Right, sub.Left
		}
		l = &Label{PairID: pairID, UserID: userID, ProjectID: projectID, AssignmentID: sub.AssignmentID,
			Swapped: swapped != 0, Preference: pref, A: a, B: b, Harmful: sub.Harmful, Comment: sub.Comment,
			Duration: time.Duration(now-reserved) * time.Millisecond, Gold: gold != "", CreatedAt: ms(now)}
		err = t.queryRow(ctx, `INSERT INTO labels (pair_id, user_id, project_id, assignment_id, swapped, preference,
			a_coherence, a_relevance, a_safety, b_coherence, b_relevance, b_safety, harmful, comment, duration_ms, gold, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17) RETURNING id`,
			pairID, userID, projectID, sub.AssignmentID, swapped, string(pref), a.Coherence, a.Relevance, a.Safety,
			b.Coherence, b.Relevance, b.Safety, b2i(sub.Harmful), sub.Comment, now-reserved, b2i(gold != ""), now).Scan(&l.ID)
		if isUnique(err) {
			return ErrAlreadyLabeled
		}
		if err != nil {
			return err
		}
		if _, err := t.exec(ctx, `UPDATE assignments SET state = 'done' WHERE id = $1`, sub.AssignmentID); err != nil {
			return err
		}
		if _, err := t.exec(ctx, `INSERT INTO label_counts (project_id, user_id, regular, gold) VALUES ($1, $2, $3, $4)
			ON CONFLICT (project_id, user_id) DO UPDATE SET regular = label_counts.regular + excluded.regular, gold = label_counts.gold + excluded.gold`,
			projectID, userID, b2i(gold == ""), b2i(gold != "")); err != nil {
			return err
		}
		if err := t.journal(ctx, userID, "label", "label", l.ID, map[string]any{"pair": pairID, "preference": pref, "swapped": swapped != 0}); err != nil {
			return err
		}
		if gold != "" {
			if err := t.checkGold(ctx, userID, projectID); err != nil {
				return err
			}
		}
		if sub.ReserveNext {
			if _, err := t.reserve(ctx, userID, projectID); err != nil && !errors.Is(err, ErrNoWork) && !errors.Is(err, ErrPaused) {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return l, nil
}

// checkGold pauses the user when their gold accuracy in the project falls
// under the project's threshold after at least GoldMin gold answers.
func (t tx) checkGold(ctx context.Context, userID, projectID int64) error {
	var n, correct, goldMin int
	var threshold float64
	err := t.queryRow(ctx, `SELECT COUNT(*), COALESCE(SUM(CASE WHEN l.preference = p.gold THEN 1 ELSE 0 END), 0), pr.gold_min, pr.gold_threshold
		FROM labels l JOIN pairs p ON p.id = l.pair_id JOIN projects pr ON pr.id = l.project_id
		WHERE l.user_id = $1 AND l.project_id = $2 AND l.gold = 1 GROUP BY pr.gold_min, pr.gold_threshold`, userID, projectID).
		Scan(&n, &correct, &goldMin, &threshold)
	if err != nil {
		return err
	}
	if n < goldMin || float64(correct) >= threshold*float64(n) {
		return nil
	}
	return t.setPaused(ctx, 0, userID, true, fmt.Sprintf("gold accuracy %d/%d under %.0f%% in project %d", correct, n, 100*threshold, projectID))
}

// Labels returns every raw label of a project, oldest first.
func (s *Store) Labels(ctx context.Context, projectID int64) ([]Label, error) {
	rows, err := s.query(ctx, `SELECT l.id, l.pair_id, l.user_id, u.username, l.project_id, l.assignment_id, l.swapped, l.preference,
		l.a_coherence, l.a_relevance, l.a_safety, l.b_coherence, l.b_relevance, l.b_safety, l.harmful, l.comment,
		l.duration_ms, l.gold, l.created_at
		FROM labels l JOIN users u ON u.id = l.user_id WHERE l.project_id = $1 ORDER BY l.id`, projectID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Label
	for rows.Next() {
		var l Label
		var swapped, harmful, gold int
		var pref string
		var dur, created int64
		if err := rows.Scan(&l.ID, &l.PairID, &l.UserID, &l.Username, &l.ProjectID, &l.AssignmentID, &swapped, &pref,
			&l.A.Coherence, &l.A.Relevance, &l.A.Safety, &l.B.Coherence, &l.B.Relevance, &l.B.Safety, &harmful, &l.Comment,
			&dur, &gold, &created); err != nil {
			return nil, err
		}
		l.Swapped, l.Harmful, l.Gold = swapped != 0, harmful != 0, gold != 0
		l.Preference, l.Duration, l.CreatedAt = Preference(pref), time.Duration(dur)*time.Millisecond, ms(created)
		out = append(out, l)
	}
	return out, rows.Err()
}
