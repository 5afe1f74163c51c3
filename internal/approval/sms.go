package approval

import (
	"strings"
	"unicode/utf8"
)

// MaxSMSChars is the most characters SNS sends in one SMS publish (AWS End
// User Messaging SMS: "a single SMS message can contain up to 1,600
// characters", billed per segment). SMSMessage stays under it.
const MaxSMSChars = 1600

// SMSMessage renders m for SMS subscribers: the title and one link, short
// because SMS is billed per segment (see SMSSegments). The link is the
// approve link: it opens the confirmation page with the whole request, and
// nothing is decided until the person confirms there; rejecting is done from
// the e-mail, Slack or webhook notification. The title is cut so the whole
// message fits in MaxSMSChars.
func SMSMessage(m Message) string {
	const prefix, sep = "Approval needed: ", "\nReview: "
	title := strings.Join(strings.Fields(m.Title), " ")
	room := MaxSMSChars - utf8.RuneCountInString(prefix+sep+m.ApproveURL)
	if room < 1 {
		return Truncate(m.ApproveURL, MaxSMSChars)
	}
	return prefix + Truncate(title, room) + sep + m.ApproveURL
}

// gsm7 is the GSM 03.38 basic character set (one septet each); gsm7Ext are
// the characters of its extension table (two septets each).
const (
	gsm7    = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
	gsm7Ext = "^{}\\[~]|€\f"
)

// SMSSegments returns how many SMS segments s is sent (and billed) as: with
// only GSM-7 characters, 160 septets in one segment or 153 per segment of a
// longer message; otherwise UCS-2, 70 characters in one segment or 67 per
// segment (characters outside the Basic Multilingual Plane count twice).
func SMSSegments(s string) int {
	septets, gsm := 0, true
	for _, r := range s {
		switch {
		case strings.ContainsRune(gsm7, r):
			septets++
		case strings.ContainsRune(gsm7Ext, r):
			septets += 2
		default:
			gsm = false
		}
	}
	if gsm {
		return segments(septets, 160, 153)
	}
	units := 0
	for _, r := range s {
		units += utf8.RuneLen(r) / 4 // 0, or 1 for a surrogate pair
		units++
	}
	return segments(units, 70, 67)
}

func segments(n, single, multi int) int {
	if n <= single {
		return 1
	}
	return (n + multi - 1) / multi
}

// SNSMessageJSON is the body of an SNS publish with MessageStructure=json:
// the full text (SNSMessage) for e-mail and every other protocol ("default")
// and the short SMSMessage for SMS.
func SNSMessageJSON(m Message) (string, error) {
	full := SNSMessage(m)
	b, err := marshal(map[string]string{"default": full, "email": full, "sms": SMSMessage(m)})
	return string(b), err
}
