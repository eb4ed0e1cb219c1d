// Command muster is the terminal client of Muster's API: list and act on
// incidents, list alerts, post webhook bodies and manage suppression
// rules, from a shell or a script.
//
//	muster incidents --severity High --status Active
//	muster incident show inc-123
//	muster incident resolve inc-123 TruePositive --comment "contained"
//	muster alerts --provider guardduty --all --json
//	muster post generic alerts.json
//	muster rules list
//	muster completion bash
//
// It reads the API's address and token from --url and --token, else
// MUSTER_URL and MUSTER_TOKEN, else ~/.config/muster/config.json
// ({"url": "...", "token": "..."}). Output is a table for people, JSON
// with --json. Exit codes: 0 ok, 1 usage or invalid request, 2 not found,
// 3 conflict, 4 not authenticated or not allowed, 5 server or network
// error.
package main

import (
	"context"
	"os"
	"os/signal"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	code := run(ctx, os.Args[1:], env{getenv: os.Getenv, stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr})
	stop()
	os.Exit(code)
}
