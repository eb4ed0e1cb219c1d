package slack

import (
	"encoding/json"
	"fmt"
	"strings"
	"unicode/utf8"
)

// Block Kit limits Muster stays within (Slack refuses larger messages).
const (
	MaxBlocks      = 50   // blocks in a message
	MaxModalBlocks = 100  // blocks in a modal view
	MaxTextLen     = 3000 // characters of a section's text
	MaxHeaderLen   = 150  // characters of a header's text
	MaxButtonText  = 75   // characters of a button's label
	MaxActionValue = 2000 // characters of a button's value
	MaxElements    = 25   // elements of an actions block
)

// Text is a text object.
type Text struct {
	Type  string `json:"type"` // mrkdwn or plain_text
	Text  string `json:"text"`
	Emoji bool   `json:"emoji,omitempty"`
}

// Markdown is a mrkdwn text object, cut to MaxTextLen.
func Markdown(s string) *Text { return &Text{Type: "mrkdwn", Text: Truncate(s, MaxTextLen)} }

// Plain is a plain_text text object, cut to n characters.
func Plain(s string, n int) *Text { return &Text{Type: "plain_text", Text: Truncate(s, n)} }

// Escape makes text safe inside mrkdwn: Slack reads <…> as links,
// mentions and @channel, so data from alerts (titles, resource names) must
// not be able to spell them.
func Escape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}

// Truncate cuts s to at most n characters, ending in "…" when cut.
func Truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

// Option is one choice of a select menu.
type Option struct {
	Text  *Text  `json:"text"`
	Value string `json:"value"`
}

// Element is an interactive element or an image/text in a context block.
type Element struct {
	Type          string   `json:"type"` // button, static_select, plain_text_input, mrkdwn
	ActionID      string   `json:"action_id,omitempty"`
	Text          *Text    `json:"text,omitempty"`
	Value         string   `json:"value,omitempty"`
	Style         string   `json:"style,omitempty"`
	Placeholder   *Text    `json:"placeholder,omitempty"`
	Options       []Option `json:"options,omitempty"`
	InitialValue  string   `json:"initial_value,omitempty"`
	InitialOption *Option  `json:"initial_option,omitempty"`
	URL           string   `json:"url,omitempty"`
	Multiline     bool     `json:"multiline,omitempty"`
}

// Block is one Block Kit layout block.
type Block struct {
	Type     string    `json:"type"` // section, header, context, actions, divider, input
	BlockID  string    `json:"block_id,omitempty"`
	Text     *Text     `json:"text,omitempty"`
	Fields   []*Text   `json:"fields,omitempty"`
	Elements []Element `json:"elements,omitempty"`
	// Input blocks.
	Label    *Text    `json:"label,omitempty"`
	Element  *Element `json:"element,omitempty"`
	Optional bool     `json:"optional,omitempty"`
	Hint     *Text    `json:"hint,omitempty"`
}

// Message is a message as Muster sends it: to a channel (Channel, and TS
// for an update) or as an answer to a command or interaction
// (ResponseType, ReplaceOriginal).
type Message struct {
	Channel         string  `json:"channel,omitempty"`
	TS              string  `json:"ts,omitempty"`
	ResponseType    string  `json:"response_type,omitempty"` // ephemeral or in_channel
	ReplaceOriginal bool    `json:"replace_original,omitempty"`
	Text            string  `json:"text"` // the notification fallback
	Blocks          []Block `json:"blocks,omitempty"`
}

// Response types of an answer.
const (
	Ephemeral = "ephemeral"
	InChannel = "in_channel"
)

// View is a modal.
type View struct {
	Type            string  `json:"type"` // modal
	CallbackID      string  `json:"callback_id"`
	Title           *Text   `json:"title"`
	Submit          *Text   `json:"submit,omitempty"`
	Close           *Text   `json:"close,omitempty"`
	PrivateMetadata string  `json:"private_metadata,omitempty"`
	Blocks          []Block `json:"blocks"`
}

// ErrLimit is a message beyond a Block Kit limit.
var ErrLimit = fmt.Errorf("beyond a Block Kit limit")

// Check reports the first Block Kit limit the blocks break (max is the
// number of blocks allowed: MaxBlocks for a message, MaxModalBlocks for a
// view).
func Check(blocks []Block, max int) error {
	if len(blocks) > max {
		return fmt.Errorf("%w: %d blocks, at most %d", ErrLimit, len(blocks), max)
	}
	for i, b := range blocks {
		if err := checkBlock(b); err != nil {
			return fmt.Errorf("%w: blocks[%d] (%s): %v", ErrLimit, i, b.Type, err)
		}
	}
	return nil
}

func checkBlock(b Block) error {
	texts := append([]*Text{b.Text}, b.Fields...)
	for _, t := range texts {
		if t != nil && utf8.RuneCountInString(t.Text) > MaxTextLen {
			return fmt.Errorf("text of %d characters, at most %d", utf8.RuneCountInString(t.Text), MaxTextLen)
		}
	}
	if b.Type == "header" && b.Text != nil && utf8.RuneCountInString(b.Text.Text) > MaxHeaderLen {
		return fmt.Errorf("header of %d characters, at most %d", utf8.RuneCountInString(b.Text.Text), MaxHeaderLen)
	}
	if len(b.Fields) > 10 {
		return fmt.Errorf("%d fields, at most 10", len(b.Fields))
	}
	if len(b.Elements) > MaxElements {
		return fmt.Errorf("%d elements, at most %d", len(b.Elements), MaxElements)
	}
	for _, e := range b.Elements {
		if e.Type == "button" && e.Text != nil && utf8.RuneCountInString(e.Text.Text) > MaxButtonText {
			return fmt.Errorf("button label over %d characters", MaxButtonText)
		}
		if len(e.Value) > MaxActionValue {
			return fmt.Errorf("action value over %d characters", MaxActionValue)
		}
	}
	return nil
}

// JSON encodes v; Block Kit values always encode.
func JSON(v any) []byte {
	b, _ := json.Marshal(v)
	return b
}
