package emulator

import (
	"strings"
	"testing"
)

// FuzzParseAuthorization reads arbitrary Authorization headers. Whatever
// arrives, parseAuthorization must not panic; a header it accepts names a
// key, and a well-formed SigV4 header built from its fields reads back as
// those fields.
func FuzzParseAuthorization(f *testing.F) {
	f.Add("AWS4-HMAC-SHA256 Credential=AKIDEMULATOR/20250301/us-east-1/autoscaling/aws4_request, SignedHeaders=host;x-amz-date, Signature=abc")
	f.Add("AWS4-HMAC-SHA256 Credential=ASIAEMU0000000000001/20250301/eu-west-1/sts/aws4_request,SignedHeaders=host,Signature=0")
	f.Add("AWS4-HMAC-SHA256 Credential=/20250301/us-east-1/sqs/aws4_request")
	f.Add("AWS4-HMAC-SHA256 Credential=a/b/c/d/e/f")
	f.Add("AWS AKID:signature")
	f.Add("")
	f.Fuzz(func(t *testing.T, header string) {
		sig, ok := parseAuthorization(header)
		if !ok {
			return
		}
		if sig.accessKeyID == "" {
			t.Fatalf("%q: accepted without a key", header)
		}
		if strings.ContainsAny(sig.accessKeyID+sig.region+sig.service, "/, ") {
			return // fields a real signer never writes: no round trip
		}
		built := "AWS4-HMAC-SHA256 Credential=" + sig.accessKeyID + "/20250301/" + sig.region + "/" + sig.service + "/aws4_request, SignedHeaders=host, Signature=0"
		back, ok := parseAuthorization(built)
		if !ok || back != sig {
			t.Fatalf("%q read as %+v; rebuilt %q read as %+v, %v", header, sig, built, back, ok)
		}
	})
}
