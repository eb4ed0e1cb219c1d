package handler

import (
	"context"
	"maps"
	"time"

	"github.com/muster-sec/muster/shared/alert"
	"github.com/muster-sec/muster/shared/silence"
	"github.com/muster-sec/muster/shared/suppress"
)

// Silencer writes suppression rules back to Alertmanager as silences
// (silence.Client). Create returns the id of the silence that stands (a
// silence with an id replaces that one); Expire ends one. Neither error may
// carry a credential: both are stored on the rule.
type Silencer interface {
	Create(ctx context.Context, s silence.Silence) (string, error)
	Expire(ctx context.Context, id string) error
}

var _ Silencer = (*silence.Client)(nil)

// silenceFor creates the silence matching a rule just made from an
// Alertmanager alert and records its id (or the error) and its matchers on
// the rule. A failure is logged and recorded, never returned: the rule
// stands.
func (h *Handler) silenceFor(ctx context.Context, rule suppress.Rule, a *alert.Alert) suppress.Rule {
	if h.silencer == nil || a.Provider != "alertmanager" || rule.EffectiveState(h.now()) != suppress.Enabled {
		return rule
	}
	ref := &suppress.Silence{}
	labels, err := silence.LabelsOf(a.Raw)
	var matchers []silence.Matcher
	if err == nil {
		matchers, err = silence.Matchers(labels)
	}
	if err != nil {
		ref.Error = err.Error()
		h.log.Error("create alertmanager silence", "rule_id", rule.ID, "error", ref.Error)
		return h.recordSilence(ctx, rule, ref)
	}
	ref.Matchers = silence.Values(matchers)
	return h.recordSilence(ctx, rule, h.putSilence(ctx, rule, ref))
}

// putSilence creates the rule's silence from ref's matchers, or replaces
// the active one ref names, ending when the rule expires (or after
// silence.DefaultDuration), and returns ref with the outcome.
func (h *Handler) putSilence(ctx context.Context, rule suppress.Rule, ref *suppress.Silence) *suppress.Silence {
	now := h.now().UTC()
	ends := now.Add(silence.DefaultDuration)
	if rule.ExpiresAt != nil {
		ends = rule.ExpiresAt.UTC()
	}
	out := *ref
	if out.Expired {
		out.ID = "" // an expired silence cannot be brought back: make a new one
	}
	id, err := h.silencer.Create(ctx, silence.Silence{ID: out.ID, Matchers: silence.Equal(ref.Matchers), StartsAt: now, EndsAt: ends,
		CreatedBy: silence.CreatedBy, Comment: "Muster suppression rule " + rule.ID + ": " + rule.Name})
	if err != nil {
		out.Error = err.Error()
		h.log.Error("put alertmanager silence", "rule_id", rule.ID, "silence_id", out.ID, "error", out.Error)
		return &out
	}
	out.ID, out.Expired, out.Error = id, false, ""
	return &out
}

// syncSilence keeps the silence of a rule just changed in step with it:
// expired once the rule no longer suppresses (disabled, expired, shadow);
// made again when a suppressing rule has none standing (re-enabled, or the
// last write failed); moved to the new end when its expiry changed. Rules
// without recorded matchers (not made from an Alertmanager alert) have
// nothing to sync.
func (h *Handler) syncSilence(ctx context.Context, before, rule suppress.Rule) suppress.Rule {
	s := rule.Silence
	if h.silencer == nil || s == nil {
		return rule
	}
	enabled := rule.EffectiveState(h.now()) == suppress.Enabled
	switch {
	case !enabled && s.ID != "" && !s.Expired:
		return h.recordSilence(ctx, rule, h.endSilence(ctx, rule, s))
	case !enabled || len(s.Matchers) == 0:
		return rule
	case s.ID == "" || s.Expired || s.Error != "" || !sameExpiry(before.ExpiresAt, rule.ExpiresAt):
		return h.recordSilence(ctx, rule, h.putSilence(ctx, rule, s))
	}
	return rule
}

// endSilence expires s and returns it with the outcome.
func (h *Handler) endSilence(ctx context.Context, rule suppress.Rule, s *suppress.Silence) *suppress.Silence {
	out := *s
	out.Matchers = maps.Clone(s.Matchers)
	if err := h.silencer.Expire(ctx, s.ID); err != nil {
		out.Error = err.Error()
		h.log.Error("expire alertmanager silence", "rule_id", rule.ID, "silence_id", s.ID, "error", out.Error)
		return &out
	}
	out.Expired, out.Error = true, ""
	return &out
}

func sameExpiry(a, b *time.Time) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.Equal(*b)
}

// expireDeleted ends the silence of a rule that has been deleted; there is
// no rule left to record a failure on, so it is logged.
func (h *Handler) expireDeleted(ctx context.Context, rule suppress.Rule) {
	if h.silencer == nil || rule.Silence == nil || rule.Silence.ID == "" || rule.Silence.Expired {
		return
	}
	if err := h.silencer.Expire(ctx, rule.Silence.ID); err != nil {
		h.log.Error("expire alertmanager silence of a deleted rule", "rule_id", rule.ID, "silence_id", rule.Silence.ID, "error", err.Error())
	}
}

// recordSilence stores ref on the rule; when that write fails the rule is
// returned unchanged and the silence logged, so it can be found.
func (h *Handler) recordSilence(ctx context.Context, rule suppress.Rule, ref *suppress.Silence) suppress.Rule {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	updated, err := h.store.UpdateRule(ctx, rule.ID, rule.Version, func(r *suppress.Rule) error {
		r.Silence = ref
		return nil
	})
	if err != nil {
		h.log.Error("record alertmanager silence on rule", "rule_id", rule.ID, "silence_id", ref.ID, "error", err.Error())
		return rule
	}
	return updated
}
