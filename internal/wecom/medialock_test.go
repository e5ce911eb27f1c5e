package wecom_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/scrmhq/scrm/ent"
	"github.com/scrmhq/scrm/internal/apperr"
	"github.com/scrmhq/scrm/internal/wecom"
)

// TestSaveAndDeleteOfAMediumRace: a code saved naming a stored medium and
// the medium's delete, in two transactions at once, never both succeed.
// The save's share lock (CheckMedia) makes a delete that comes second wait
// for the save's commit and then see the code (CONFLICT, the medium
// stays); the delete's row lock makes a save that comes second wait for
// the delete's commit and then find no medium (BAD_USER_INPUT at the
// attachment, no code). Either way no live code names a deleted medium.
func TestSaveAndDeleteOfAMediumRace(t *testing.T) {
	m := newMediaCorp(t)
	svc := m.api.Services.WeCom
	member := mustDecode(t, m.member)
	input := func(name, mediaID string) wecom.ContactWayInput {
		return wecom.ContactWayInput{Name: name, UserIDs: []uuid.UUID{member}, WelcomeMessage: "您好",
			WelcomeAttachments: []wecom.Attachment{{Type: "VIDEO", MediaID: mediaID}}}
	}
	begin := func() (*ent.Tx, context.Context) {
		t.Helper()
		tx, err := m.api.Services.Client.Tx(m.ctx())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = tx.Rollback() })
		return tx, ent.NewTxContext(m.ctx(), tx)
	}
	// waitBlocked returns once a backend waits for a row lock, or fails the
	// test when done (the second transaction) finished without waiting.
	waitBlocked := func(done <-chan error) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for {
			var waiting int
			if err := m.api.DB.DB.QueryRow(`SELECT count(*) FROM pg_locks WHERE NOT granted AND locktype IN ('transactionid', 'tuple')`).
				Scan(&waiting); err != nil {
				t.Fatal(err)
			}
			if waiting > 0 {
				return
			}
			select {
			case err := <-done:
				t.Fatalf("the second transaction did not wait for the first: %v", err)
			default:
			}
			if time.Now().After(deadline) {
				t.Fatal("the second transaction neither waits nor ends")
			}
		}
	}
	liveNaming := func(mediaID string) (codes, media int) {
		t.Helper()
		if err := m.api.DB.DB.QueryRow(`SELECT (SELECT count(*) FROM contact_ways WHERE deleted_at IS NULL AND welcome_attachments::text LIKE '%' || $1 || '%'),
			(SELECT count(*) FROM wecom_media WHERE id = $2)`, mediaID, mustDecode(t, mediaID)).Scan(&codes, &media); err != nil {
			t.Fatal(err)
		}
		return codes, media
	}

	t.Run("save first: the delete waits and sees the code", func(t *testing.T) {
		video := storeMedium(t, m.api, m.admin, "VIDEO", "first.mp4", mp4(16))
		tx, ctx := begin()
		if _, err := svc.CreateContactWay(ctx, input("先保存", video.ID)); err != nil {
			t.Fatalf("save: %v", err)
		}
		done := make(chan error, 1)
		go func() { done <- svc.DeleteMedia(m.ctx(), mustDecode(t, video.ID)) }()
		waitBlocked(done)
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
		var ae *apperr.Error
		if err := <-done; !errors.As(err, &ae) || ae.Code != apperr.Conflict {
			t.Errorf("the delete after the save: %v, want a CONFLICT", err)
		}
		if codes, media := liveNaming(video.ID); codes != 1 || media != 1 {
			t.Errorf("end: %d live codes name the medium, %d media; want 1 and 1", codes, media)
		}
	})

	t.Run("delete first: the save waits and finds no medium", func(t *testing.T) {
		video := storeMedium(t, m.api, m.admin, "VIDEO", "second.mp4", mp4(16))
		tx, ctx := begin()
		if err := svc.DeleteMedia(ctx, mustDecode(t, video.ID)); err != nil {
			t.Fatalf("delete: %v", err)
		}
		done := make(chan error, 1)
		go func() {
			tx2, err := m.api.Services.Client.Tx(m.ctx())
			if err != nil {
				done <- err
				return
			}
			_, err = svc.CreateContactWay(ent.NewTxContext(m.ctx(), tx2), input("后保存", video.ID))
			if err == nil {
				err = tx2.Commit()
			} else {
				_ = tx2.Rollback()
			}
			done <- err
		}()
		waitBlocked(done)
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
		var ae *apperr.Error
		if err := <-done; !errors.As(err, &ae) || ae.Code != apperr.BadInput || ae.Field != "welcomeAttachments[0].mediaID" {
			t.Errorf("the save after the delete: %v, want BAD_USER_INPUT at welcomeAttachments[0].mediaID", err)
		}
		if codes, media := liveNaming(video.ID); codes != 0 || media != 0 {
			t.Errorf("end: %d live codes name the medium, %d media; want none", codes, media)
		}
	})
}
