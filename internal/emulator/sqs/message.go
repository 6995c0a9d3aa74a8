package sqs

import (
	"crypto/md5"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Message limits, from the Amazon SQS message quotas
// (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/quotas-messages.html).
const (
	maxMessageAttributes    = 10
	maxAttributeNameLength  = 256
	maxAttributeTypeLength  = 256
	maxNumberAttributeDigit = 38
)

// attributeValue is a message attribute as the JSON protocol carries it.
// BinaryValue travels base64-encoded, which encoding/json handles for []byte.
type attributeValue struct {
	DataType         string   `json:"DataType"`
	StringValue      *string  `json:"StringValue,omitempty"`
	BinaryValue      []byte   `json:"BinaryValue,omitempty"`
	StringListValues []string `json:"StringListValues,omitempty"`
	BinaryListValues [][]byte `json:"BinaryListValues,omitempty"`
}

// validBodyRune reports whether r is allowed in a message body: the XML
// character set the SQS quotas page lists (#x9 | #xA | #xD | #x20 to #xD7FF |
// #xE000 to #xFFFD | #x10000 to #x10FFFF).
func validBodyRune(r rune) bool {
	switch {
	case r == 0x9 || r == 0xA || r == 0xD:
		return true
	case r >= 0x20 && r <= 0xD7FF:
		return true
	case r >= 0xE000 && r <= 0xFFFD:
		return true
	case r >= 0x10000 && r <= utf8.MaxRune:
		return true
	}
	return false
}

func validateBody(body string) *apiError {
	for _, r := range body {
		if !validBodyRune(r) {
			return newError("InvalidMessageContents",
				fmt.Sprintf("Invalid binary character '#x%X' was found in the message body, the set of allowed characters is #x9 | #xA | #xD | #x20 to #xD7FF | #xE000 to #xFFFD | #x10000 to #x10FFFF", r))
		}
	}
	return nil
}

// validateMessageAttributes checks attrs and returns the bytes they add to
// the message size (names, types and values count towards the limit).
func validateMessageAttributes(attrs map[string]attributeValue) (int, *apiError) {
	if len(attrs) > maxMessageAttributes {
		return 0, errInvalidParam(fmt.Sprintf("Number of message attributes [%d] exceeds the allowed maximum [%d].", len(attrs), maxMessageAttributes))
	}
	size := 0
	for name, v := range attrs {
		if aerr := validateAttributeName(name); aerr != nil {
			return 0, aerr
		}
		n, aerr := validateAttributeValue(name, v)
		if aerr != nil {
			return 0, aerr
		}
		size += len(name) + n
	}
	return size, nil
}

func validateAttributeName(name string) *apiError {
	bad := func(reason string) *apiError {
		return errInvalidParam(fmt.Sprintf("Message attribute name '%s' is invalid. %s", name, reason))
	}
	if name == "" || len(name) > maxAttributeNameLength {
		return bad("Names must be 1 to 256 characters long.")
	}
	lower := strings.ToLower(name)
	if strings.HasPrefix(lower, "aws.") || strings.HasPrefix(lower, "amazon.") {
		return bad("Names starting with AWS. or Amazon. are reserved.")
	}
	if strings.HasPrefix(name, ".") || strings.HasSuffix(name, ".") || strings.Contains(name, "..") {
		return bad("Names must not start or end with a period or contain successive periods.")
	}
	for _, r := range name {
		if !(r == '_' || r == '-' || r == '.' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			return bad("Names can contain alphanumeric characters, hyphens, underscores and periods.")
		}
	}
	return nil
}

func validateAttributeValue(name string, v attributeValue) (int, *apiError) {
	if v.DataType == "" {
		return 0, errInvalidParam(fmt.Sprintf("The message attribute '%s' must contain a non-empty attribute type.", name))
	}
	if len(v.DataType) > maxAttributeTypeLength {
		return 0, errInvalidParam(fmt.Sprintf("The message attribute '%s' has a type longer than 256 characters.", name))
	}
	if len(v.StringListValues) > 0 || len(v.BinaryListValues) > 0 {
		return 0, errInvalidParam(fmt.Sprintf("Message attribute list values in '%s' are not supported.", name))
	}
	base, _, _ := strings.Cut(v.DataType, ".")
	switch base {
	case "String", "Number":
		if v.StringValue == nil || *v.StringValue == "" {
			return 0, errInvalidParam(fmt.Sprintf("The message attribute '%s' must contain a non-empty value of type '%s'.", name, base))
		}
		if aerr := validateBody(*v.StringValue); aerr != nil {
			return 0, errInvalidParam(fmt.Sprintf("The message attribute '%s' contains an invalid character.", name))
		}
		if base == "Number" && !validNumber(*v.StringValue) {
			return 0, errInvalidParam(fmt.Sprintf("Can't cast the value of message (user) attribute '%s' to a number.", name))
		}
		return len(v.DataType) + len(*v.StringValue), nil
	case "Binary":
		if len(v.BinaryValue) == 0 {
			return 0, errInvalidParam(fmt.Sprintf("The message attribute '%s' must contain a non-empty value of type 'Binary'.", name))
		}
		return len(v.DataType) + len(v.BinaryValue), nil
	}
	return 0, errInvalidParam(fmt.Sprintf("The type of message (user) attribute '%s' is invalid. You must use only the following supported type prefixes: Binary, Number, String.", name))
}

// validNumber accepts what SQS documents for Number attributes: a decimal
// with up to 38 digits of precision.
func validNumber(s string) bool {
	if _, err := strconv.ParseFloat(s, 64); err != nil {
		return false
	}
	digits := 0
	for _, r := range s {
		if r >= '0' && r <= '9' {
			digits++
		}
	}
	return digits <= maxNumberAttributeDigit
}

// md5Hex is the hex MD5 digest SQS returns for message bodies; the SDK
// checks it against what it sent.
func md5Hex(s string) string {
	sum := md5.Sum([]byte(s))
	return hex.EncodeToString(sum[:])
}

// attributesMD5 is the digest SQS returns as MD5OfMessageAttributes: for
// each attribute in name order, the length-prefixed name, the
// length-prefixed data type, a transport byte (1 string, 2 binary) and the
// length-prefixed value; lengths are 4-byte big-endian.
func attributesMD5(attrs map[string]attributeValue) string {
	if len(attrs) == 0 {
		return ""
	}
	names := make([]string, 0, len(attrs))
	for n := range attrs {
		names = append(names, n)
	}
	slices.Sort(names)
	h := md5.New()
	field := func(b []byte) {
		var l [4]byte
		binary.BigEndian.PutUint32(l[:], uint32(len(b)))
		h.Write(l[:])
		h.Write(b)
	}
	for _, n := range names {
		v := attrs[n]
		field([]byte(n))
		field([]byte(v.DataType))
		if v.StringValue != nil {
			h.Write([]byte{1})
			field([]byte(*v.StringValue))
		} else {
			h.Write([]byte{2})
			field(v.BinaryValue)
		}
	}
	return hex.EncodeToString(h.Sum(nil))
}

// selectAttributes returns the attributes a receiver asked for with
// MessageAttributeNames: "All", ".*", exact names, or prefixes "name.*".
func selectAttributes(attrs map[string]attributeValue, names []string) map[string]attributeValue {
	if len(attrs) == 0 || len(names) == 0 {
		return nil
	}
	out := map[string]attributeValue{}
	for n, v := range attrs {
		for _, want := range names {
			prefix, isPrefix := strings.CutSuffix(want, "*")
			if want == "All" || want == ".*" || want == n || isPrefix && strings.HasSuffix(prefix, ".") && strings.HasPrefix(n, prefix) {
				out[n] = v
				break
			}
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}
