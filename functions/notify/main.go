// Command notify is the Muster notify Lambda function: an EventBridge rule
// on Muster's bus delivers incident events, and each keeps the incident's
// Slack card current. It wires the handler from the environment and
// starts the Lambda runtime loop.
package main

import (
	"github.com/muster-sec/muster/functions/notify/handler"
	"github.com/muster-sec/muster/shared/lambdamain"
)

func main() {
	lambdamain.Start("notify", handler.FromEnv, func(h *handler.Handler) any { return h.Handle })
}
