package fielddefs

import (
	"bytes"
	"encoding/json"
)

// decode reads one stored jsonb value; null, "" and [] count as absent.
func decode(raw []byte) (any, bool) {
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return nil, false
	}
	var v any
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	if err := d.Decode(&v); err != nil {
		return nil, false
	}
	switch x := v.(type) {
	case string:
		return v, x != ""
	case []any:
		return v, len(x) > 0
	}
	return v, true
}
