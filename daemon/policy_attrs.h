/* policy_attrs.h - rcptguard's extension attributes of the Postfix policy
 * protocol, sent by rcptguard-spp (docs/protocols.md). Postfix itself never
 * sends them; a policy server must ignore attributes it does not know. */
#ifndef RG_POLICY_ATTRS_H
#define RG_POLICY_ATTRS_H

#define PA_RCPTHOSTS_OK   "rcptguard_rcpthosts_ok"   /* 1: domain in rcpthosts */
#define PA_RELAY_CLIENT   "rcptguard_relay_client"   /* 1: RELAYCLIENT or SMTP AUTH */
#define PA_RCPT_COUNT     "rcptguard_rcpt_count"     /* SMTPRCPTCOUNT */
#define PA_RCPT_COUNT_ALL "rcptguard_rcpt_count_all" /* SMTPRCPTCOUNTALL */

#endif
