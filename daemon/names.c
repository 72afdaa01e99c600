/* names.c - names for enum rg_reason and enum rg_counter. */
#include <string.h>
#include "names.h"

static const char *const reasons[RG_REASON_MAX] = {
	[RG_REASON_MANUAL] = "manual",
	[RG_REASON_UNKNOWN_RCPT] = "unknown-recipient",
	[RG_REASON_SPAMTRAP] = "spamtrap",
	[RG_REASON_RELAY] = "relay-attempt",
	[RG_REASON_DNSBL] = "dnsbl",
	[RG_REASON_CROWDSEC] = "crowdsec",
};

static const char *const counters[RG_COUNTER_MAX] = {
	[RG_INSPECTED] = "inspected",
	[RG_PASS_NOT_IP] = "pass_not_ip",
	[RG_PASS_MALFORMED] = "pass_malformed",
	[RG_PASS_NOT_TCP] = "pass_not_tcp",
	[RG_PASS_FRAGMENT] = "pass_fragment",
	[RG_PASS_EXT_LIMIT] = "pass_ext_limit",
	[RG_PASS_PORT] = "pass_port",
	[RG_PASS_NOT_BANNED] = "pass_not_banned",
	[RG_PASS_EXPIRED] = "pass_expired",
	[RG_PASS_ALLOWED] = "pass_allowed",
	[RG_DROP_EXACT] = "drop_exact",
	[RG_DROP_PREFIX] = "drop_prefix",
};

const char *reason_name(unsigned reason)
{
	return reason < RG_REASON_MAX && reasons[reason] ? reasons[reason] : "unknown";
}

unsigned reason_code(const char *name)
{
	for (unsigned r = 1; r < RG_REASON_MAX; r++)
		if (reasons[r] && strcmp(name, reasons[r]) == 0)
			return r;
	return 0;
}

const char *counter_name(unsigned counter)
{
	return counter < RG_COUNTER_MAX && counters[counter] ? counters[counter] : "unknown";
}
