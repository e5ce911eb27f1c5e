package clean

import "testing"

func TestName(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, raw, want string
	}{
		{"unchanged", "张三", "张三"},
		{"trim", "  张三  ", "张三"},
		{"collapse inner spaces", "Zhang   San", "Zhang San"},
		{"tabs and newlines", "Zhang\t\nSan\r\n", "Zhang San"},
		{"full-width space", "　张　　三　", "张 三"},
		{"no-break and thin spaces", "Li\u00a0\u2009Si", "Li Si"},
		{"zero-width space dropped, not a space", "张\u200b三", "张三"},
		{"zero-width joiner and non-joiner", "A\u200dB\u200cC", "ABC"},
		{"bom", "\ufeffWang Wu", "Wang Wu"},
		{"bidi override", "\u202eevil\u202c", "evil"},
		{"controls", "Zhao\x00\x07 Liu\x1b", "Zhao Liu"},
		{"hangul filler only", "\u3164", ""},
		{"braille blank only", "\u2800\u2800", ""},
		{"invalid utf-8 dropped", "Chen\xffMing", "ChenMing"},
		{"case and width kept", "ＡＢＣ公司 ltd", "ＡＢＣ公司 ltd"},
		{"combining marks kept", "Jose\u0301", "Jose\u0301"},
		{"emoji kept", "小王🙂", "小王🙂"},
		{"empty", "", ""},
		{"only spaces", " \t　 ", ""},
		{"space around invisible", "a \u200b b", "a b"},

		// Emoji sequences stay byte-exact; their joiners and tags are kept
		// only inside them.
		{"zwj family", "王家👨\u200d👩\u200d👧", "王家👨\u200d👩\u200d👧"},
		{"variation selector", "爱心❤\ufe0f店", "爱心❤\ufe0f店"},
		{"keycap", "1\ufe0f\u20e3号店", "1\ufe0f\u20e3号店"},
		{"flag", "🇨🇳 华为", "🇨🇳 华为"},
		{"rainbow flag", "🏳\ufe0f\u200d🌈 Pride Ltd", "🏳\ufe0f\u200d🌈 Pride Ltd"},
		{"skin tone and zwj", "👩🏽\u200d💻 Dev", "👩🏽\u200d💻 Dev"},
		{"subdivision flag tags", "🏴\U000e0067\U000e0062\U000e0073\U000e0063\U000e0074\U000e007f FC", "🏴\U000e0067\U000e0062\U000e0073\U000e0063\U000e0074\U000e007f FC"},
		{"zwsp inside a family", "👨\u200b\u200d👩", "👨👩"},
		{"bidi override next to emoji", "\u202e👨\u200d👩\u202c", "👨\u200d👩"},
		{"controls around emoji", "\x00❤\ufe0f\x07", "❤\ufe0f"},
		{"trailing zwj after emoji", "👨\u200d", "👨"},
		{"zwj between emoji and letter", "👨\u200dA", "👨A"},
		{"zwj before emoji", "A\u200d👩", "A👩"},
		{"tags without a flag", "A\U000e0067\U000e007f", "A"},
		{"zwnj inside an emoji sequence", "👨\u200c\u200d👩", "👨\u200d👩"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := Name(tt.raw)
			if got != tt.want {
				t.Fatalf("Name(%q) = %q, want %q", tt.raw, got, tt.want)
			}
			if again := Name(got); again != got {
				t.Errorf("Name(%q) not idempotent: %q", got, again)
			}
		})
	}
}
