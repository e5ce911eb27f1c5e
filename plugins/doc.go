// Package plugins is the contract between the broadcast service and the channels that
// deliver its messages (webhook, email, sms, wecom), and the registry that finds a
// channel by name.
//
// A channel package registers itself in init, like a database/sql driver, so a program
// picks the channels it ships by importing them:
//
//	import _ "github.com/scrmhq/scrm/plugins/all"
//
//	ch, ok := plugins.Lookup("webhook")
//
// The lifecycle of a workspace's channel is:
//
//   - When an admin saves a config, ValidateConfig checks it and returns it normalised
//     (defaults filled in). Errors are *ConfigError naming the offending key, so the API
//     can point at the field. The keys listed by Secrets are stored encrypted and never
//     shown back.
//   - When a broadcast sends, Open turns the stored config into a Sender. A Sender is
//     safe for concurrent use by many goroutines and is closed when the batch is done.
//   - Before planning deliveries, Reachable drops leads the channel cannot reach (no
//     flag from Requires, or no address of the kind the channel needs).
//   - Send delivers one message. Message.ID (the delivery row's id) is passed to the
//     provider as an idempotency key or client reference, so a job that retries after a
//     crash does not make the provider deliver twice where the provider deduplicates.
//     An error wrapping ErrPermanent means retrying cannot help (the delivery becomes
//     FAILED); any other error is temporary and the job may retry. Channels that retry
//     internally (webhook) honour the context's deadline and cancellation.
//   - Inbound HTTP requests from the provider (delivery reports, replies) are handed to
//     ParseCallback, which verifies the provider's signature (ErrSignature when it does
//     not match) and returns the events, matched to deliveries by ProviderMessageID or
//     MessageID. Channels without callbacks return ErrUnsupported.
//
// Channels keep no global state besides their registration: everything a Sender needs
// comes from its config and Options, so tests inject an HTTP client and a clock.
package plugins
