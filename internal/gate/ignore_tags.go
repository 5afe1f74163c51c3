package gate

import "strings"

// IgnoreTags are tag keys that a gate's parts may carry without being
// drift, and that are never removed: e.g. those an organisation's tag policy
// adds to every resource. Tags the Spec sets with these keys are still set
// when a part is created.
type IgnoreTags struct {
	Keys        []string
	KeyPrefixes []string
}

// Ignored reports whether the tag key k is ignored.
func (i IgnoreTags) Ignored(k string) bool {
	for _, key := range i.Keys {
		if k == key {
			return true
		}
	}
	for _, p := range i.KeyPrefixes {
		if strings.HasPrefix(k, p) {
			return true
		}
	}
	return false
}

// without returns tags without the ignored keys (tags itself when none is).
func (i IgnoreTags) without(tags map[string]string) map[string]string {
	if len(i.Keys) == 0 && len(i.KeyPrefixes) == 0 {
		return tags
	}
	out := make(map[string]string, len(tags))
	for k, v := range tags {
		if !i.Ignored(k) {
			out[k] = v
		}
	}
	return out
}
