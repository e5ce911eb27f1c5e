// Package all registers every channel plugin. Import it for its side effect:
//
//	import _ "github.com/scrmhq/scrm/plugins/all"
package all

import (
	_ "github.com/scrmhq/scrm/plugins/email"   // registers "email"
	_ "github.com/scrmhq/scrm/plugins/sms"     // registers "sms"
	_ "github.com/scrmhq/scrm/plugins/webhook" // registers "webhook"
	_ "github.com/scrmhq/scrm/plugins/wecom"   // registers "wecom"
)
