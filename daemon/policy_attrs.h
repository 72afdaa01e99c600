/* policy_attrs.h - rcptguard's extension attributes of the Postfix policy
 * protocol, sent by rcptguard-spp (docs/protocols.md). Postfix itself never
 * sends them; a policy server must ignore attributes it does not know. */
#ifndef RG_POLICY_ATTRS_H
#define RG_POLICY_ATTRS_H

#define PA_RCPTHOSTS_OK   "rcptguard_rcpthosts_ok"   /* 1: domain in rcpthosts */
#define PA_RELAY_CLIENT   "rcptguard_relay_client"   /* 1: RELAYCLIENT or SMTP AUTH */
#define PA_RCPT_COUNT     "rcptguard_rcpt_count"     /* SMTPRCPTCOUNT */
#define PA_RCPT_COUNT_ALL "rcptguard_rcpt_count_all" /* SMTPRCPTCOUNTALL */

/* rcptguard-spp's default timeout (RCPTGUARD_TIMEOUT). A verdict may wait
 * dnsbl_wait for DNSBL answers; the plugin must wait clearly longer, or a
 * slow resolver makes it give up first and the RCPT passes unjudged.
 * rcptguardd warns at start when dnsbl_wait leaves less than the margin. */
#define SPP_TIMEOUT_DEFAULT_MS 5000
#define SPP_TIMEOUT_MARGIN_MS 1000

#endif
