package handler

import (
	"context"
	"time"

	"github.com/muster-sec/muster/shared/alert"
	"github.com/muster-sec/muster/shared/silence"
	"github.com/muster-sec/muster/shared/suppress"
)

// Silencer writes suppression rules back to Alertmanager as silences
// (silence.Client). Create returns the new silence's id; Expire ends one.
// Neither error may carry a credential: both are stored on the rule.
type Silencer interface {
	Create(ctx context.Context, s silence.Silence) (string, error)
	Expire(ctx context.Context, id string) error
}

var _ Silencer = (*silence.Client)(nil)

// silenceFor creates the silence matching a rule just made from an
// Alertmanager alert and records its id (or the error) on the rule. A
// failure is logged and recorded, never returned: the rule stands.
func (h *Handler) silenceFor(ctx context.Context, rule suppress.Rule, a *alert.Alert) suppress.Rule {
	if h.silencer == nil || a.Provider != "alertmanager" || rule.EffectiveState(h.now()) != suppress.Enabled {
		return rule
	}
	now := h.now().UTC()
	ends := now.Add(silence.DefaultDuration)
	if rule.ExpiresAt != nil {
		ends = rule.ExpiresAt.UTC()
	}
	ref := &suppress.Silence{}
	labels, err := silence.LabelsOf(a.Raw)
	var matchers []silence.Matcher
	if err == nil {
		matchers, err = silence.Matchers(labels)
	}
	if err == nil {
		ref.ID, err = h.silencer.Create(ctx, silence.Silence{Matchers: matchers, StartsAt: now, EndsAt: ends,
			CreatedBy: silence.CreatedBy, Comment: "Muster suppression rule " + rule.ID + ": " + rule.Name})
	}
	if err != nil {
		ref.Error = err.Error()
		h.log.Error("create alertmanager silence", "rule_id", rule.ID, "error", ref.Error)
	}
	return h.recordSilence(ctx, rule, ref)
}

// expireSilence ends the rule's silence once the rule no longer
// suppresses (disabled, expired, shadow) and records the outcome.
func (h *Handler) expireSilence(ctx context.Context, rule suppress.Rule) suppress.Rule {
	s := rule.Silence
	if h.silencer == nil || s == nil || s.ID == "" || s.Expired || rule.EffectiveState(h.now()) == suppress.Enabled {
		return rule
	}
	ref := *s
	if err := h.silencer.Expire(ctx, s.ID); err != nil {
		ref.Error = err.Error()
		h.log.Error("expire alertmanager silence", "rule_id", rule.ID, "silence_id", s.ID, "error", ref.Error)
	} else {
		ref.Expired, ref.Error = true, ""
	}
	return h.recordSilence(ctx, rule, &ref)
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
