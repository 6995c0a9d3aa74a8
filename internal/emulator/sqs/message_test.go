package sqs

import "testing"

func TestAttributesMD5(t *testing.T) {
	str := func(s string) *string { return &s }
	// Expected digests are published examples computed by other SQS
	// implementations with the algorithm of the SQS developer guide.
	tests := []struct {
		name  string
		attrs map[string]attributeValue
		want  string
	}{
		{name: "none", attrs: nil, want: ""},
		{name: "one string", attrs: map[string]attributeValue{
			"SellerName": {DataType: "String", StringValue: str("Example Store")},
		}, want: "cd28f3b68aeee4b2eac9c66f2f694b58"},
		{name: "number and string, sorted by name", attrs: map[string]attributeValue{
			"ordinal":  {DataType: "Number", StringValue: str("1")},
			"category": {DataType: "String", StringValue: str("test")},
		}, want: "d21ae90c49061e927f57df5f5d72be1f"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := attributesMD5(tc.attrs); got != tc.want {
				t.Fatalf("MD5 = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestSelectAttributes(t *testing.T) {
	v := attributeValue{DataType: "String"}
	attrs := map[string]attributeValue{"a": v, "a.b": v, "ab": v, "c": v}
	tests := []struct {
		name  string
		names []string
		want  []string
	}{
		{"none asked", nil, nil},
		{"all", []string{"All"}, []string{"a", "a.b", "ab", "c"}},
		{"dot star", []string{".*"}, []string{"a", "a.b", "ab", "c"}},
		{"exact", []string{"c"}, []string{"c"}},
		{"prefix", []string{"a.*"}, []string{"a.b"}},
		{"unknown", []string{"z"}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := selectAttributes(attrs, tc.names)
			if len(got) != len(tc.want) {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
			for _, n := range tc.want {
				if _, ok := got[n]; !ok {
					t.Fatalf("got %v, want %v", got, tc.want)
				}
			}
		})
	}
}

func TestWireCode(t *testing.T) {
	tests := []struct{ code, typ, query string }{
		{"QueueDoesNotExist", "com.amazonaws.sqs#QueueDoesNotExist", "AWS.SimpleQueueService.NonExistentQueue"},
		{"QueueNameExists", "com.amazonaws.sqs#QueueNameExists", "QueueAlreadyExists"},
		{"InvalidParameterValue", "com.amazonaws.sqs#InvalidParameterValue", "InvalidParameterValue"},
		{"SerializationException", "com.amazon.coral.service#SerializationException", "SerializationException"},
		{"com.example#Custom", "com.example#Custom", "Custom"},
		{"", "com.amazonaws.sqs#InternalError", "InternalError"},
	}
	for _, tc := range tests {
		t.Run(tc.code, func(t *testing.T) {
			typ, query := wireCode(tc.code)
			if typ != tc.typ || query != tc.query {
				t.Fatalf("wireCode = %q, %q; want %q, %q", typ, query, tc.typ, tc.query)
			}
		})
	}
}
