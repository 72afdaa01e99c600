/* test_policy.c - policy protocol framing and parsing. */
#include <stdio.h>
#include <string.h>
#include "policy.h"
#include "tap.h"

static const char REQ[] =
	"request=smtpd_access_policy\n"
	"protocol_state=RCPT\n"
	"protocol_name=ESMTP\n"
	"client_address=192.0.2.7\n"
	"helo_name=mx.example.net\n"
	"sender=a=b@example.net\n"
	"recipient=bob@example.com\n"
	"queue_id=\n"
	"instance=123.456\n"
	"future_attribute=whatever\n"
	"\n";

static int parse(const char *text, struct policy_req *r, const char **why, char *buf)
{
	size_t len = strlen(text), scan = 0, n;

	memcpy(buf, text, len + 1);
	n = policy_frame(buf, len, &scan);
	if (!n) {
		*why = "no frame";
		return -2;
	}
	return policy_parse(buf, n, r, why);
}

static void refused(const char *text, const char *want)
{
	char buf[4096];
	struct policy_req r;
	const char *why = "";

	ok(parse(text, &r, &why, buf) == -1 && strcmp(why, want) == 0, "refused: %s (%s)", want, why);
}

int main(void)
{
	char buf[8192];
	struct policy_req r;
	const char *why = "";
	size_t scan = 0, n;

	ok(parse(REQ, &r, &why, buf) == 0, "a Postfix RCPT request parses");
	ok(strcmp(r.protocol_state, "RCPT") == 0 && strcmp(r.client_address, "192.0.2.7") == 0 &&
	   strcmp(r.recipient, "bob@example.com") == 0 && strcmp(r.instance, "123.456") == 0,
	   "attributes are read");
	ok(strcmp(r.sender, "a=b@example.net") == 0, "a value may contain '='");
	ok(r.sasl_username == NULL && r.relay_client == NULL, "absent attributes are NULL");
	ok(parse("request=smtpd_access_policy\nprotocol_state=RCPT\ninstance=qmail-77\n"
		 "rcptguard_rcpt_count_all=1\n\n", &r, &why, buf) == 0 && r.rcpt_count_all &&
	   strcmp(r.rcpt_count_all, "1") == 0, "rcptguard-spp's RCPT counter is read");

	/* Split across reads: byte by byte, the frame appears only at the end. */
	{
		size_t len = strlen(REQ), found = 0;

		memcpy(buf, REQ, len);
		for (size_t i = 1; i <= len && !found; i++)
			found = policy_frame(buf, i, &scan);
		ok(found == len, "fed one byte at a time, the request ends at its empty line");
	}
	/* Two requests in one read. */
	{
		size_t len = strlen(REQ);

		memcpy(buf, REQ, len);
		memcpy(buf + len, REQ, len);
		scan = 0;
		n = policy_frame(buf, 2 * len, &scan);
		ok(n == len && policy_parse(buf, n, &r, &why) == 0, "the first of two requests");
		memmove(buf, buf + n, len);
		n = policy_frame(buf, len, &scan);
		ok(n == len && policy_parse(buf, n, &r, &why) == 0, "the second of two requests");
	}
	ok(parse("request=smtpd_access_policy\r\nrecipient=x@y\r\n\r\n", &r, &why, buf) == 0 &&
	   strcmp(r.recipient, "x@y") == 0, "CRLF line ends");
	ok(parse("recipient=first@x\nrequest=smtpd_access_policy\nrecipient=last@x\n\n",
		 &r, &why, buf) == 0 && strcmp(r.recipient, "last@x") == 0,
	   "order does not matter; a repeated attribute keeps its last value");
	ok(parse("request=smtpd_access_policy\nrecipient=\n\n", &r, &why, buf) == 0 &&
	   r.recipient && !*r.recipient, "an empty value is an empty string");
	scan = 0;
	ok(policy_frame("request=smtpd_access_policy\nrecipient=x", 40, &scan) == 0,
	   "an unfinished request is not a frame");

	refused("recipient=x@y\n\n", "no request= attribute");
	refused("request=smtpd_other\n\n", "request is not smtpd_access_policy");
	refused("request=smtpd_access_policy\ngarbage line\n\n", "line without name=value");
	refused("request=smtpd_access_policy\n=value\n\n", "line without name=value");
	refused("\n", "no request= attribute");
	refused("GET / HTTP/1.0\r\n\r\n", "line without name=value");
	{
		static const char nul[] = "request=smtpd_access_policy\nrecipient=a\0b\n\n";
		size_t len = sizeof(nul) - 1;

		memcpy(buf, nul, len);
		scan = 0;
		n = policy_frame(buf, len, &scan);
		ok(n == len && policy_parse(buf, n, &r, &why) == -1 &&
		   strcmp(why, "NUL byte in request") == 0, "a NUL byte is refused");
	}
	return tap_done();
}
