/* nft_table.c - the table's sets, chain and rules through libnftnl. */
#include <errno.h>
#include <netinet/in.h>         /* before linux/netfilter.h, which wants linux/in.h */
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <libnftnl/chain.h>
#include <libnftnl/expr.h>
#include <libnftnl/rule.h>
#include <libnftnl/set.h>
#include <libnftnl/table.h>
#include <libnftnl/udata.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "addr.h"
#include "nft_table.h"

/* nft's datatype numbers, so `nft list` prints addresses and ports. */
#define TYPE_IPADDR 7
#define TYPE_IP6ADDR 8
#define TYPE_INET_SERVICE 13
#define INGRESS_PRIO -500               /* before anything an admin hooks there */
#define PREROUTING_PRIO -300            /* raw: before conntrack */

/* The regular chain every ban rule goes to: drop, or with ban_action =
 * rst a RST to a pure SYN under the caps: one a second per source (a
 * meter: the sets rst_meter4/6, an nft limit in each element) and
 * rst_rate in all. */
static const char answer_chain[] = "answer";
static const char *const rst_meter[2] = { "rst_meter6", "rst_meter4" };
#define RST_METER_MS 10000              /* a source's entry lives this long */
#define RST_METER_MAX 65536             /* full: no per-source cap for new sources */

static const char *const kind_names[] = { [NFTT_ALLOW] = "allow", [NFTT_BAN] = "ban" };
static const char *const chain_names[] = { [NFT_HOOK_INGRESS] = "ingress",
					   [NFT_HOOK_PREROUTING] = "prerouting" };

static void set_name(char *buf, size_t len, enum nftt_kind kind, bool v4, unsigned plen)
{
	snprintf(buf, len, "%s%c_%u", kind_names[kind], v4 ? '4' : '6', plen);
}

/* k as a set key: the family, its length in the family, the key bytes. */
static unsigned key_of(const struct rg_lpm_key *k, bool *v4, const uint8_t **bytes)
{
	*v4 = addr_is_v4(&k->addr) && k->prefixlen >= 96;
	*bytes = *v4 ? &k->addr.a[12] : k->addr.a;
	return *v4 ? k->prefixlen - 96 : k->prefixlen;
}

static struct nftnl_set *set_of(const struct nft_table *t, const char *name)
{
	struct nftnl_set *s = nftnl_set_alloc();

	if (s) {
		nftnl_set_set_str(s, NFTNL_SET_TABLE, t->name);
		nftnl_set_set_str(s, NFTNL_SET_NAME, name);
	}
	return s;
}

/* A new set needs an id unique in its batch (the kernel insists). */
static void set_id(struct nftnl_set *s)
{
	static uint32_t id;

	nftnl_set_set_u32(s, NFTNL_SET_ID, ++id);
}

/* -------- requests -------- */

static void build_table(struct nlmsghdr *nlh, void *arg)
{
	struct nftnl_table *tb = nftnl_table_alloc();

	if (!tb)
		return;
	nftnl_table_set_str(tb, NFTNL_TABLE_NAME, ((struct nft_table *)arg)->name);
	nftnl_table_nlmsg_build_payload(nlh, tb);
	nftnl_table_free(tb);
}

static int table_cb(const struct nlmsghdr *nlh, void *arg)
{
	struct nftnl_table *tb = nftnl_table_alloc();

	if (tb && nftnl_table_nlmsg_parse(nlh, tb) == 0)
		((struct nft_table *)arg)->handle = nftnl_table_get_u64(tb, NFTNL_TABLE_HANDLE);
	if (tb)
		nftnl_table_free(tb);
	return MNL_CB_OK;
}

static void build_sets(struct nlmsghdr *nlh, void *arg)
{
	struct nftnl_set *s = nftnl_set_alloc();

	if (!s)
		return;
	nftnl_set_set_str(s, NFTNL_SET_TABLE, ((struct nft_table *)arg)->name);
	nftnl_set_nlmsg_build_payload(nlh, s);
	nftnl_set_free(s);
}

static int set_cb(const struct nlmsghdr *nlh, void *arg)
{
	struct nft_table *t = arg;
	struct nftnl_set *s = nftnl_set_alloc();
	char family[2];
	unsigned plen;
	int used = 0;

	if (s && nftnl_set_nlmsg_parse(nlh, s) == 0) {
		const char *name = nftnl_set_get_str(s, NFTNL_SET_NAME);

		for (int kind = NFTT_ALLOW; kind <= NFTT_BAN; kind++) {
			size_t kl = strlen(kind_names[kind]);

			if (strncmp(name, kind_names[kind], kl) != 0 ||
			    sscanf(name + kl, "%1[46]_%u%n", family, &plen, &used) != 2 ||
			    name[kl + (size_t)used] || plen > (family[0] == '4' ? 32u : 128u))
				continue;
			t->have[kind][family[0] == '4'][plen] = true;
			t->handles[kind][family[0] == '4'][plen] =
				nftnl_set_get_u64(s, NFTNL_SET_HANDLE);
			if (kind == NFTT_BAN && !nftnl_set_is_set(s, NFTNL_SET_EXPR) &&
			    !nftnl_set_is_set(s, NFTNL_SET_EXPRESSIONS))
				t->counters = false;
		}
	}
	if (s)
		nftnl_set_free(s);
	return MNL_CB_OK;
}

/* The table's handle and its sets: 0, -ENOENT without the table, -errno. */
static int read_table(struct nft_table *t)
{
	int rc = nft_request(t->n, NFT_MSG_GETTABLE, NFPROTO_INET, NLM_F_ACK, build_table,
			     table_cb, t);

	return rc < 0 ? rc : nft_request(t->n, NFT_MSG_GETSET, NFPROTO_INET, NLM_F_DUMP,
					 build_sets, set_cb, t);
}

int nftt_open(struct nft_table *t, const char *name, char *err, size_t errlen)
{
	int rc;

	memset(t, 0, sizeof(*t));
	snprintf(t->name, sizeof(t->name), "%s", name);
	t->counters = true;
	if (!(t->n = nft_open(err, errlen)))
		return -1;
	if ((rc = read_table(t)) == -ENOENT)
		return 0;
	if (rc < 0) {
		snprintf(err, errlen, "cannot read nftables table inet %s: %s%s", name,
			 strerror(-rc), rc == -EPERM ? " (needs root or CAP_NET_ADMIN)" : "");
		nftt_close(t);
		return -1;
	}
	t->exists = true;
	return 0;
}

int nftt_unchanged(const struct nft_table *t, enum nftt_kind kind)
{
	struct nft_table *now = calloc(1, sizeof(*now));
	int rc = -ENOMEM;

	if (now) {
		now->n = t->n;
		memcpy(now->name, t->name, sizeof(now->name));
		rc = read_table(now);
	}
	/* Handles are never reused: one deleted and made again differs. */
	if (rc == 0 && now->handle != t->handle)
		rc = -ENOENT;
	for (int v4 = 0; v4 < 2; v4++)
		for (unsigned p = 0; rc == 0 && p < 129; p++)
			if (t->have[kind][v4][p] && (!now->have[kind][v4][p] ||
				now->handles[kind][v4][p] != t->handles[kind][v4][p]))
				rc = -ENOENT;
	free(now);
	return rc;
}

void nftt_close(struct nft_table *t)
{
	nft_close(t->n);
	t->n = NULL;
}

/* -------- expressions -------- */

/* Every queue_* records a failed allocation in t->err instead of sending
 * a batch without the message: commit() then sends none of it. */
static void lost(struct nft_table *t)
{
	if (!t->err)
		t->err = -ENOMEM;
}

static int commit(struct nft_table *t)
{
	int rc = t->err;

	t->err = 0;
	if (!rc)
		return nft_commit(t->n);
	nft_discard(t->n);
	return rc;
}

static void add_expr(struct nft_table *t, struct nftnl_rule *r, const char *name,
		     void (*fill)(struct nftnl_expr *, const void *), const void *arg)
{
	struct nftnl_expr *e = nftnl_expr_alloc(name);

	if (!e) {
		lost(t);
		return;
	}
	if (fill)
		fill(e, arg);
	nftnl_rule_add_expr(r, e);
}

struct cmp { uint32_t op; uint8_t val; };
struct payload { uint32_t base, offset, len; };
struct bitwise { uint32_t len; uint8_t mask[16]; };
struct lookup { const char *set; bool inv; };

static void fill_meta(struct nftnl_expr *e, const void *key)
{
	nftnl_expr_set_u32(e, NFTNL_EXPR_META_KEY, *(const uint32_t *)key);
	nftnl_expr_set_u32(e, NFTNL_EXPR_META_DREG, NFT_REG_1);
}

static void fill_cmp(struct nftnl_expr *e, const void *arg)
{
	const struct cmp *c = arg;

	nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_SREG, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_OP, c->op);
	nftnl_expr_set(e, NFTNL_EXPR_CMP_DATA, &c->val, 1);
}

static void fill_payload(struct nftnl_expr *e, const void *arg)
{
	const struct payload *p = arg;

	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_DREG, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_BASE, p->base);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_OFFSET, p->offset);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_LEN, p->len);
}

static void fill_bitwise(struct nftnl_expr *e, const void *arg)
{
	static const uint8_t zero[16];
	const struct bitwise *b = arg;

	nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_SREG, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_DREG, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_LEN, b->len);
	nftnl_expr_set(e, NFTNL_EXPR_BITWISE_MASK, b->mask, b->len);
	nftnl_expr_set(e, NFTNL_EXPR_BITWISE_XOR, zero, b->len);
}

static void fill_lookup(struct nftnl_expr *e, const void *arg)
{
	const struct lookup *l = arg;

	nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_SREG, NFT_REG_1);
	nftnl_expr_set_str(e, NFTNL_EXPR_LOOKUP_SET, l->set);
	if (l->inv)
		nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_FLAGS, NFT_LOOKUP_F_INV);
}

static void fill_verdict(struct nftnl_expr *e, const void *verdict)
{
	nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_DREG, NFT_REG_VERDICT);
	nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_VERDICT, *(const uint32_t *)verdict);
}

static const uint32_t v_accept = NF_ACCEPT, v_drop = NF_DROP;

static void fill_goto(struct nftnl_expr *e, const void *chain)
{
	nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_DREG, NFT_REG_VERDICT);
	nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_VERDICT, NFT_GOTO);
	nftnl_expr_set_str(e, NFTNL_EXPR_IMM_CHAIN, chain);
}

/* rate packets a second, a second's worth at once. */
static void fill_limit(struct nftnl_expr *e, const void *rate)
{
	nftnl_expr_set_u64(e, NFTNL_EXPR_LIMIT_RATE, *(const uint32_t *)rate);
	nftnl_expr_set_u64(e, NFTNL_EXPR_LIMIT_UNIT, 1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_LIMIT_BURST, *(const uint32_t *)rate);
	nftnl_expr_set_u32(e, NFTNL_EXPR_LIMIT_TYPE, NFT_LIMIT_PKTS);
}

static void fill_reject_rst(struct nftnl_expr *e, const void *arg)
{
	(void)arg;
	nftnl_expr_set_u32(e, NFTNL_EXPR_REJECT_TYPE, NFT_REJECT_TCP_RST);
	nftnl_expr_set_u8(e, NFTNL_EXPR_REJECT_CODE, 0);
}

/* Queue one rule; comment names it for nftt_counters() and for people. */
static void queue_rule(struct nft_table *t, const char *chain, struct nftnl_rule *r,
		       const char *comment, bool append)
{
	struct nftnl_udata_buf *u = nftnl_udata_buf_alloc(NFT_USERDATA_MAXLEN);
	struct nlmsghdr *nlh;

	nftnl_rule_set_str(r, NFTNL_RULE_TABLE, t->name);
	nftnl_rule_set_str(r, NFTNL_RULE_CHAIN, chain);
	if (u && nftnl_udata_put_strz(u, NFTNL_UDATA_RULE_COMMENT, comment))
		nftnl_rule_set_data(r, NFTNL_RULE_USERDATA, nftnl_udata_buf_data(u),
				    nftnl_udata_buf_len(u));
	else
		lost(t);        /* nftt_counters() goes by the comment */
	nlh = nft_msg(t->n, NFT_MSG_NEWRULE, NFPROTO_INET,
		      NLM_F_CREATE | (append ? NLM_F_APPEND : 0));
	nftnl_rule_nlmsg_build_payload(nlh, r);
	nftnl_udata_buf_free(u);
	nftnl_rule_free(r);
}

/* "meta nfproto FAMILY". */
static void add_family(struct nft_table *t, struct nftnl_rule *r, bool v4)
{
	static const uint32_t nfproto = NFT_META_NFPROTO;
	struct cmp fam = { NFT_CMP_EQ, v4 ? NFPROTO_IPV4 : NFPROTO_IPV6 };

	add_expr(t, r, "meta", fill_meta, &nfproto);
	add_expr(t, r, "cmp", fill_cmp, &fam);
}

/* "meta nfproto FAMILY SADDR" into register 1. */
static void add_saddr(struct nft_table *t, struct nftnl_rule *r, bool v4)
{
	struct payload src = { NFT_PAYLOAD_NETWORK_HEADER, v4 ? 12 : 8, v4 ? 4 : 16 };

	add_family(t, r, v4);
	add_expr(t, r, "payload", fill_payload, &src);
}

/* ip saddr & MASK @SET counter accept|goto answer */
static void queue_set_rule(struct nft_table *t, const char *chain, enum nftt_kind kind,
			   bool v4, unsigned plen)
{
	struct nftnl_rule *r = nftnl_rule_alloc();
	struct bitwise mask = { v4 ? 4 : 16, { 0 } };
	char name[32];
	struct lookup l = { name, false };

	if (!r) {
		lost(t);
		return;
	}
	set_name(name, sizeof(name), kind, v4, plen);
	add_saddr(t, r, v4);
	if (plen < mask.len * 8) {
		for (unsigned i = 0; i < plen; i++)
			mask.mask[i / 8] |= (uint8_t)(0x80 >> (i % 8));
		add_expr(t, r, "bitwise", fill_bitwise, &mask);
	}
	add_expr(t, r, "lookup", fill_lookup, &l);
	add_expr(t, r, "counter", NULL, NULL);
	if (kind == NFTT_BAN)
		add_expr(t, r, "immediate", fill_goto, answer_chain);
	else
		add_expr(t, r, "immediate", fill_verdict, &v_accept);
	/* Allow rules go first: an allowlisted source is never dropped. */
	queue_rule(t, chain, r, name, kind == NFTT_BAN);
}

/* The set for (kind, family, length), with its rule. */
static void queue_set(struct nft_table *t, const char *chain, enum nftt_kind kind, bool v4,
		      unsigned plen)
{
	char name[32];
	struct nftnl_set *s;
	struct nlmsghdr *nlh;

	set_name(name, sizeof(name), kind, v4, plen);
	if (!(s = set_of(t, name))) {
		lost(t);
		return;
	}
	nftnl_set_set_u32(s, NFTNL_SET_KEY_LEN, v4 ? 4 : 16);
	nftnl_set_set_u32(s, NFTNL_SET_KEY_TYPE, v4 ? TYPE_IPADDR : TYPE_IP6ADDR);
	if (kind == NFTT_BAN) {
		struct nftnl_expr *counter = t->counters ? nftnl_expr_alloc("counter") : NULL;

		nftnl_set_set_u32(s, NFTNL_SET_FLAGS, NFT_SET_TIMEOUT);
		if (counter)
			nftnl_set_add_expr(s, counter);
		else if (t->counters)
			lost(t);
	}
	set_id(s);
	/* The set and its rule in one batch, never split between two. */
	nft_hold(t->n);
	nlh = nft_msg(t->n, NFT_MSG_NEWSET, NFPROTO_INET, NLM_F_CREATE);
	nftnl_set_nlmsg_build_payload(nlh, s);
	nftnl_set_free(s);
	if (chain)
		queue_set_rule(t, chain, kind, v4, plen);
	nft_release(t->n);
}

/* -------- setup -------- */

static void queue_chain(struct nft_table *t, const char *name, const struct config *c,
			uint16_t type)
{
	struct nftnl_chain *ch = nftnl_chain_alloc();
	const char *devs[CONFIG_MAX_IFACES + 1];
	struct nlmsghdr *nlh;

	if (!ch) {
		lost(t);
		return;
	}
	nftnl_chain_set_str(ch, NFTNL_CHAIN_TABLE, t->name);
	nftnl_chain_set_str(ch, NFTNL_CHAIN_NAME, name);
	if (c) {
		nftnl_chain_set_str(ch, NFTNL_CHAIN_TYPE, "filter");
		nftnl_chain_set_u32(ch, NFTNL_CHAIN_POLICY, NF_ACCEPT);
		if (c->nft_hook == NFT_HOOK_INGRESS) {
			for (unsigned i = 0; i < c->n_interfaces; i++)
				devs[i] = c->interfaces[i];
			devs[c->n_interfaces] = NULL;
			nftnl_chain_set_u32(ch, NFTNL_CHAIN_HOOKNUM, NF_INET_INGRESS);
			nftnl_chain_set_s32(ch, NFTNL_CHAIN_PRIO, INGRESS_PRIO);
			nftnl_chain_set_array(ch, NFTNL_CHAIN_DEVICES, devs);
		} else {
			nftnl_chain_set_u32(ch, NFTNL_CHAIN_HOOKNUM, NF_INET_PRE_ROUTING);
			nftnl_chain_set_s32(ch, NFTNL_CHAIN_PRIO, PREROUTING_PRIO);
		}
	}
	nlh = nft_msg(t->n, type, NFPROTO_INET, type == NFT_MSG_NEWCHAIN ? NLM_F_CREATE : 0);
	nftnl_chain_nlmsg_build_payload(nlh, ch);
	nftnl_chain_free(ch);
}

static void queue_flush_chain(struct nft_table *t, const char *name)
{
	struct nftnl_rule *r = nftnl_rule_alloc();
	struct nlmsghdr *nlh;

	if (!r) {
		lost(t);
		return;
	}
	nftnl_rule_set_str(r, NFTNL_RULE_TABLE, t->name);
	nftnl_rule_set_str(r, NFTNL_RULE_CHAIN, name);
	nlh = nft_msg(t->n, NFT_MSG_DELRULE, NFPROTO_INET, 0);
	nftnl_rule_nlmsg_build_payload(nlh, r);
	nftnl_rule_free(r);
}

static void queue_ports(struct nft_table *t, const uint16_t *ports, unsigned n)
{
	struct nftnl_set *s = set_of(t, "ports");
	struct nlmsghdr *nlh;

	if (!s) {
		lost(t);
		return;
	}
	/* Emptied and refilled in the same batch: never a moment unprotected. */
	nlh = nft_msg(t->n, NFT_MSG_DELSETELEM, NFPROTO_INET, 0);
	nftnl_set_elems_nlmsg_build_payload(nlh, s);
	for (unsigned i = 0; i < n; i++) {
		struct nftnl_set_elem *e = nftnl_set_elem_alloc();
		uint16_t be = htons(ports[i]);

		if (!e) {
			lost(t);
			break;
		}
		nftnl_set_elem_set(e, NFTNL_SET_ELEM_KEY, &be, sizeof(be));
		nftnl_set_elem_add(s, e);
	}
	if (n) {
		nlh = nft_msg(t->n, NFT_MSG_NEWSETELEM, NFPROTO_INET, NLM_F_CREATE);
		nftnl_set_elems_nlmsg_build_payload(nlh, s);
	}
	nftnl_set_free(s);
}

static void queue_base_rules(struct nft_table *t, const char *chain)
{
	struct nftnl_rule *r = nftnl_rule_alloc();
	uint32_t l4proto = NFT_META_L4PROTO;
	struct cmp not_tcp = { NFT_CMP_NEQ, IPPROTO_TCP };
	struct payload dport = { NFT_PAYLOAD_TRANSPORT_HEADER, 2, 2 };
	struct lookup unprotected = { "ports", true };

	if (!r)
		lost(t);
	else {
		add_expr(t, r, "meta", fill_meta, &l4proto);
		add_expr(t, r, "cmp", fill_cmp, &not_tcp);
		add_expr(t, r, "immediate", fill_verdict, &v_accept);
		queue_rule(t, chain, r, "not tcp", true);
	}
	if ((r = nftnl_rule_alloc())) {
		add_expr(t, r, "payload", fill_payload, &dport);
		add_expr(t, r, "lookup", fill_lookup, &unprotected);
		add_expr(t, r, "immediate", fill_verdict, &v_accept);
		queue_rule(t, chain, r, "unprotected port", true);
	} else {
		lost(t);
	}
}

/* A new rule, or NULL (the batch is then lost). */
static struct nftnl_rule *new_rule(struct nft_table *t)
{
	struct nftnl_rule *r = nftnl_rule_alloc();

	if (!r)
		lost(t);
	return r;
}

/* add @set { saddr limit rate over 1/second }: matches when the source
 * had its RST in the last second (else the rule stops here). */
static void fill_meter(struct nftnl_expr *e, const void *set)
{
	struct nftnl_expr *limit = nftnl_expr_alloc("limit");

	nftnl_expr_set_u32(e, NFTNL_EXPR_DYNSET_SREG_KEY, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_DYNSET_OP, NFT_DYNSET_OP_ADD);
	nftnl_expr_set_str(e, NFTNL_EXPR_DYNSET_SET_NAME, set);
	nftnl_expr_set_u64(e, NFTNL_EXPR_DYNSET_TIMEOUT, RST_METER_MS);
	if (!limit)
		return;         /* the kernel refuses the rule: the batch fails */
	nftnl_expr_set_u64(limit, NFTNL_EXPR_LIMIT_RATE, 1);
	nftnl_expr_set_u64(limit, NFTNL_EXPR_LIMIT_UNIT, 1);
	nftnl_expr_set_u32(limit, NFTNL_EXPR_LIMIT_BURST, 1);     /* 0 would be 5 */
	nftnl_expr_set_u32(limit, NFTNL_EXPR_LIMIT_TYPE, NFT_LIMIT_PKTS);
	nftnl_expr_set_u32(limit, NFTNL_EXPR_LIMIT_FLAGS, NFT_LIMIT_F_INV);
	nftnl_expr_set(e, NFTNL_EXPR_DYNSET_EXPR, limit, 0);
}

static void queue_rst_meter(struct nft_table *t, bool v4)
{
	struct nftnl_set *s = set_of(t, rst_meter[v4]);
	struct nlmsghdr *nlh;

	if (!s) {
		lost(t);
		return;
	}
	nftnl_set_set_u32(s, NFTNL_SET_KEY_LEN, v4 ? 4 : 16);
	nftnl_set_set_u32(s, NFTNL_SET_KEY_TYPE, v4 ? TYPE_IPADDR : TYPE_IP6ADDR);
	nftnl_set_set_u32(s, NFTNL_SET_FLAGS, NFT_SET_TIMEOUT | NFT_SET_EVAL);
	nftnl_set_set_u64(s, NFTNL_SET_TIMEOUT, RST_METER_MS);
	nftnl_set_set_u32(s, NFTNL_SET_DESC_SIZE, RST_METER_MAX);
	set_id(s);
	nlh = nft_msg(t->n, NFT_MSG_NEWSET, NFPROTO_INET, NLM_F_CREATE);
	nftnl_set_nlmsg_build_payload(nlh, s);
	nftnl_set_free(s);
}

/* The answer chain, emptied and refilled. drop: everything dropped.
 * rst: a fragment, an IPv6 packet with extension headers or a packet that
 * is not a pure SYN (no ACK, RST or FIN) is dropped; a
 * SYN from a source answered in the last second, or over the limit of
 * rate a second, is dropped and counted as rst_suppressed; the rest gets
 * the RST (the kernel's reject checks the SYN's checksum first). */
static void queue_answer(struct nft_table *t, enum rg_ban_action action, uint32_t rate)
{
	struct payload flags = { NFT_PAYLOAD_TRANSPORT_HEADER, 13, 1 };
	struct bitwise syn_ack_rst_fin = { 1, { 0x17 } };
	struct cmp not_pure_syn = { NFT_CMP_NEQ, 0x02 };
	static const struct {
		bool v4;
		struct payload at;
		struct bitwise mask;    /* len 0: none */
		struct cmp not;
	} not_plain[] = {
		{ true, { NFT_PAYLOAD_NETWORK_HEADER, 6, 1 }, { 1, { 0x3f } }, { NFT_CMP_NEQ, 0 } },
		{ true, { NFT_PAYLOAD_NETWORK_HEADER, 7, 1 }, { 0, { 0 } }, { NFT_CMP_NEQ, 0 } },
		{ false, { NFT_PAYLOAD_NETWORK_HEADER, 6, 1 }, { 0, { 0 } },
		  { NFT_CMP_NEQ, IPPROTO_TCP } },
	};
	bool rst = action == RG_ACTION_RST;
	struct nftnl_rule *r;

	for (int v4 = 0; v4 < 2; v4++)
		queue_rst_meter(t, v4);
	queue_chain(t, answer_chain, NULL, NFT_MSG_NEWCHAIN);
	queue_flush_chain(t, answer_chain);
	/* As the XDP program: IPv4 fragments (MF or an offset) and IPv6 with
	 * any extension header are only dropped. */
	for (size_t i = 0; rst && i < sizeof(not_plain) / sizeof(not_plain[0]); i++) {
		if ((r = new_rule(t))) {
			add_family(t, r, not_plain[i].v4);
			add_expr(t, r, "payload", fill_payload, &not_plain[i].at);
			if (not_plain[i].mask.len)
				add_expr(t, r, "bitwise", fill_bitwise, &not_plain[i].mask);
			add_expr(t, r, "cmp", fill_cmp, &not_plain[i].not);
			add_expr(t, r, "immediate", fill_verdict, &v_drop);
			queue_rule(t, answer_chain, r, "not answered", true);
		}
	}
	if (rst && (r = new_rule(t))) {
		add_expr(t, r, "payload", fill_payload, &flags);
		add_expr(t, r, "bitwise", fill_bitwise, &syn_ack_rst_fin);
		add_expr(t, r, "cmp", fill_cmp, &not_pure_syn);
		add_expr(t, r, "immediate", fill_verdict, &v_drop);
		queue_rule(t, answer_chain, r, "not a pure syn", true);
	}
	for (int v4 = 0; rst && v4 < 2; v4++) {
		if ((r = new_rule(t))) {
			add_saddr(t, r, v4);
			add_expr(t, r, "dynset", fill_meter, rst_meter[v4]);
			add_expr(t, r, "counter", NULL, NULL);
			add_expr(t, r, "immediate", fill_verdict, &v_drop);
			queue_rule(t, answer_chain, r, "rst_suppressed", true);
		}
	}
	if (rst && (r = new_rule(t))) {
		add_expr(t, r, "limit", fill_limit, &rate);
		add_expr(t, r, "counter", NULL, NULL);
		add_expr(t, r, "reject", fill_reject_rst, NULL);
		queue_rule(t, answer_chain, r, "rst_sent", true);
	}
	if ((r = new_rule(t))) {
		if (rst)
			add_expr(t, r, "counter", NULL, NULL);
		add_expr(t, r, "immediate", fill_verdict, &v_drop);
		queue_rule(t, answer_chain, r, rst ? "rst_suppressed" : "drop", true);
	}
}

static int setup_batch(struct nft_table *t, const struct config *c)
{
	const char *chain = chain_names[c->nft_hook];
	struct nftnl_table *tb = nftnl_table_alloc();
	struct nftnl_set *ports = set_of(t, "ports");
	struct nlmsghdr *nlh;

	if (!tb || !ports) {
		nftnl_table_free(tb);
		nftnl_set_free(ports);
		return -ENOMEM;
	}
	nft_hold(t->n);
	nftnl_table_set_str(tb, NFTNL_TABLE_NAME, t->name);
	nlh = nft_msg(t->n, NFT_MSG_NEWTABLE, NFPROTO_INET, NLM_F_CREATE);
	nftnl_table_nlmsg_build_payload(nlh, tb);
	nftnl_table_free(tb);
	nftnl_set_set_u32(ports, NFTNL_SET_KEY_LEN, 2);
	nftnl_set_set_u32(ports, NFTNL_SET_KEY_TYPE, TYPE_INET_SERVICE);
	set_id(ports);
	nlh = nft_msg(t->n, NFT_MSG_NEWSET, NFPROTO_INET, NLM_F_CREATE);
	nftnl_set_nlmsg_build_payload(nlh, ports);
	nftnl_set_free(ports);
	queue_ports(t, c->ports, c->n_ports);
	/* Both chains go (add makes deleting one that is absent legal), so
	 * a changed hook or interface list leaves nothing behind. */
	for (unsigned h = 0; h < sizeof(chain_names) / sizeof(chain_names[0]); h++) {
		queue_chain(t, chain_names[h], NULL, NFT_MSG_NEWCHAIN);
		queue_flush_chain(t, chain_names[h]);
		queue_chain(t, chain_names[h], NULL, NFT_MSG_DELCHAIN);
	}
	queue_answer(t, c->ban_action, c->rst_rate);
	queue_chain(t, chain, c, NFT_MSG_NEWCHAIN);
	queue_base_rules(t, chain);
	for (int kind = NFTT_ALLOW; kind <= NFTT_BAN; kind++)
		for (int v4 = 0; v4 < 2; v4++)
			for (unsigned plen = 0; plen <= (v4 ? 32u : 128u); plen++)
				if (t->have[kind][v4][plen])
					queue_set_rule(t, chain, kind, v4, plen);
	nft_release(t->n);
	return commit(t);
}

int nftt_setup(struct nft_table *t, const struct config *c, char *err, size_t errlen)
{
	int rc = setup_batch(t, c);

	/* Per-element counters came with kernel 5.11; without them, plain sets. */
	if (rc == -EOPNOTSUPP && t->counters && !t->exists) {
		t->counters = false;
		rc = setup_batch(t, c);
	}
	if (rc == 0) {
		t->exists = t->chain_known = true;
		t->chain = chain_names[c->nft_hook];
		return 0;
	}
	snprintf(err, errlen, "cannot set up nftables table inet %s (%s hook%s%s): %s%s",
		 t->name, chain_names[c->nft_hook], c->nft_hook == NFT_HOOK_INGRESS ? " on " : "",
		 c->nft_hook == NFT_HOOK_INGRESS ? c->interfaces[0] : "", strerror(-rc),
		 c->nft_hook == NFT_HOOK_INGRESS ?
		 "; check the interface lines, or use nft_hook = prerouting" : "");
	return -1;
}

int nftt_set_ports(struct nft_table *t, const uint16_t *ports, unsigned n)
{
	queue_ports(t, ports, n);
	return commit(t);
}

int nftt_set_answer(struct nft_table *t, enum rg_ban_action action, uint32_t rate)
{
	queue_answer(t, action, rate);
	return commit(t);
}

int nftt_delete(struct nft_table *t)
{
	struct nftnl_table *tb = nftnl_table_alloc();
	struct nlmsghdr *nlh;

	if (!tb)
		return -ENOMEM;
	nftnl_table_set_str(tb, NFTNL_TABLE_NAME, t->name);
	nlh = nft_msg(t->n, NFT_MSG_DELTABLE, NFPROTO_INET, 0);
	nftnl_table_nlmsg_build_payload(nlh, tb);
	nftnl_table_free(tb);
	memset(t->have, 0, sizeof(t->have));
	return commit(t);
}

/* -------- elements -------- */

/* A dump of chains is not filtered by table: each reply is checked. */
struct hook_req {
	struct nft_table *t;
	const char *found;
};

static int chain_cb(const struct nlmsghdr *nlh, void *arg)
{
	struct nftnl_chain *ch = nftnl_chain_alloc();
	struct hook_req *q = arg;

	if (ch && nftnl_chain_nlmsg_parse(nlh, ch) == 0 &&
	    strcmp(nftnl_chain_get_str(ch, NFTNL_CHAIN_TABLE), q->t->name) == 0)
		for (unsigned h = 0; h < sizeof(chain_names) / sizeof(chain_names[0]); h++)
			if (strcmp(nftnl_chain_get_str(ch, NFTNL_CHAIN_NAME), chain_names[h]) == 0)
				q->found = chain_names[h];
	nftnl_chain_free(ch);
	return MNL_CB_OK;
}

static void build_chains(struct nlmsghdr *nlh, void *arg)
{
	struct nftnl_chain *ch = nftnl_chain_alloc();

	if (!ch)
		return;
	nftnl_chain_set_str(ch, NFTNL_CHAIN_TABLE, ((struct hook_req *)arg)->t->name);
	nftnl_chain_nlmsg_build_payload(nlh, ch);
	nftnl_chain_free(ch);
}

const char *nftt_hook(struct nft_table *t)
{
	struct hook_req q = { t, NULL };

	if (!t->exists)
		return NULL;
	nft_request(t->n, NFT_MSG_GETCHAIN, NFPROTO_INET, NLM_F_DUMP, build_chains, chain_cb, &q);
	return q.found;
}

/* -------- elements -------- */

/* The chain new sets get their rule in; none when no chain exists yet
 * (the CLI with the daemon down before any setup). */
static const char *our_chain(struct nft_table *t)
{
	if (!t->chain_known) {
		t->chain = nftt_hook(t);
		t->chain_known = true;
	}
	return t->chain;
}

static void queue_elem(struct nft_table *t, uint16_t type, enum nftt_kind kind,
		       const struct rg_lpm_key *k, uint64_t timeout_ms, const char *comment)
{
	const uint8_t *key;
	bool v4;
	unsigned plen = key_of(k, &v4, &key);
	char name[32];
	struct nftnl_set *s;
	struct nftnl_set_elem *e;
	struct nlmsghdr *nlh;

	if (type == NFT_MSG_NEWSETELEM && !t->have[kind][v4][plen]) {
		queue_set(t, our_chain(t), kind, v4, plen);
		t->have[kind][v4][plen] = t->queued[kind][v4][plen] = true;
	}
	set_name(name, sizeof(name), kind, v4, plen);
	if (!(s = set_of(t, name)) || !(e = nftnl_set_elem_alloc())) {
		nftnl_set_free(s);
		lost(t);
		return;
	}
	nftnl_set_elem_set(e, NFTNL_SET_ELEM_KEY, key, v4 ? 4 : 16);
	if (timeout_ms) {
		/* The expiration restarts the clock of an element that exists. */
		nftnl_set_elem_set_u64(e, NFTNL_SET_ELEM_TIMEOUT, timeout_ms);
		nftnl_set_elem_set_u64(e, NFTNL_SET_ELEM_EXPIRATION, timeout_ms);
	}
	if (comment && *comment) {
		struct nftnl_udata_buf *u = nftnl_udata_buf_alloc(NFT_USERDATA_MAXLEN);

		/* The comment holds the ban's reason, note and age. */
		if (u && nftnl_udata_put_strz(u, NFTNL_UDATA_SET_ELEM_COMMENT, comment))
			nftnl_set_elem_set(e, NFTNL_SET_ELEM_USERDATA, nftnl_udata_buf_data(u),
					   nftnl_udata_buf_len(u));
		else
			lost(t);
		nftnl_udata_buf_free(u);
	}
	nftnl_set_elem_add(s, e);
	nlh = nft_msg(t->n, type, NFPROTO_INET, type == NFT_MSG_NEWSETELEM ? NLM_F_CREATE : 0);
	nftnl_set_elems_nlmsg_build_payload(nlh, s);
	nftnl_set_free(s);
}

void nftt_add(struct nft_table *t, enum nftt_kind kind, const struct rg_lpm_key *k,
	      uint64_t timeout_ms, const char *comment)
{
	queue_elem(t, NFT_MSG_NEWSETELEM, kind, k, timeout_ms, comment);
}

void nftt_del(struct nft_table *t, enum nftt_kind kind, const struct rg_lpm_key *k)
{
	queue_elem(t, NFT_MSG_DELSETELEM, kind, k, 0, NULL);
}

void nftt_flush(struct nft_table *t, enum nftt_kind kind)
{
	char name[32];

	for (int v4 = 0; v4 < 2; v4++)
		for (unsigned plen = 0; plen <= (v4 ? 32u : 128u); plen++) {
			struct nftnl_set *s;

			if (!t->have[kind][v4][plen])
				continue;
			set_name(name, sizeof(name), kind, v4, plen);
			if (!(s = set_of(t, name))) {
				lost(t);
				return;
			}
			/* A delete naming no element empties the set. */
			nftnl_set_elems_nlmsg_build_payload(nft_msg(t->n, NFT_MSG_DELSETELEM,
								    NFPROTO_INET, 0), s);
			nftnl_set_free(s);
		}
}

int nftt_commit(struct nft_table *t)
{
	int rc = commit(t);

	for (int kind = 0; kind < 2; kind++)
		for (int v4 = 0; v4 < 2; v4++)
			for (int plen = 0; plen <= 128; plen++)
				if (t->queued[kind][v4][plen]) {
					t->queued[kind][v4][plen] = false;
					if (rc < 0)
						t->have[kind][v4][plen] = false;
				}
	if (rc == 0)
		t->exists = true;
	return rc;
}

struct walk {
	struct nft_table *t;
	const char *set;
	bool v4;
	unsigned plen;
	nftt_elem_cb cb;
	void *arg;
	int rc;
};

static int counter_cb(struct nftnl_expr *x, void *arg)
{
	struct nftt_elem *e = arg;

	if (strcmp(nftnl_expr_get_str(x, NFTNL_EXPR_NAME), "counter") == 0) {
		e->packets = nftnl_expr_get_u64(x, NFTNL_EXPR_CTR_PACKETS);
		e->bytes = nftnl_expr_get_u64(x, NFTNL_EXPR_CTR_BYTES);
	}
	return 0;
}

/* Rules and elements number their comment alike. */
_Static_assert((int)NFTNL_UDATA_RULE_COMMENT == (int)NFTNL_UDATA_SET_ELEM_COMMENT, "comment types");

static int comment_cb(const struct nftnl_udata *attr, void *data)
{
	char *out = data;
	uint8_t len = nftnl_udata_len(attr);

	if (nftnl_udata_type(attr) == NFTNL_UDATA_SET_ELEM_COMMENT && len > 0) {
		memcpy(out, nftnl_udata_get(attr), len);
		out[len - 1] = 0;       /* stored with its NUL; never trust that */
	}
	return 0;
}

static int elem_cb(struct nftnl_set_elem *se, void *arg)
{
	struct walk *w = arg;
	struct nftt_elem e = { .comment = "" };
	char comment[NFT_USERDATA_MAXLEN + 1] = "";
	uint32_t klen = 0, ulen = 0;
	const uint8_t *key = nftnl_set_elem_get(se, NFTNL_SET_ELEM_KEY, &klen);
	const void *udata = nftnl_set_elem_get(se, NFTNL_SET_ELEM_USERDATA, &ulen);

	if (w->rc || !key || klen != (w->v4 ? 4u : 16u))
		return 0;
	if (w->v4) {
		e.key.addr.a[10] = e.key.addr.a[11] = 0xff;
		memcpy(&e.key.addr.a[12], key, 4);
		e.key.prefixlen = 96 + w->plen;
	} else {
		memcpy(e.key.addr.a, key, 16);
		e.key.prefixlen = w->plen;
	}
	if (nftnl_set_elem_is_set(se, NFTNL_SET_ELEM_TIMEOUT)) {
		e.has_timeout = true;
		e.expires_ms = nftnl_set_elem_get_u64(se, NFTNL_SET_ELEM_EXPIRATION);
	}
	nftnl_set_elem_expr_foreach(se, counter_cb, &e);
	if (udata && ulen)
		nftnl_udata_parse(udata, ulen, comment_cb, comment);
	e.comment = comment;
	w->rc = w->cb(&e, w->arg);
	return 0;
}

static int elems_cb(const struct nlmsghdr *nlh, void *arg)
{
	struct walk *w = arg;
	struct nftnl_set *s = nftnl_set_alloc();

	if (!s)
		return MNL_CB_ERROR;    /* the reply's elements unread: no partial read */
	if (nftnl_set_elems_nlmsg_parse(nlh, s) == 0)
		nftnl_set_elem_foreach(s, elem_cb, w);
	nftnl_set_free(s);
	return MNL_CB_OK;
}

static void build_elems(struct nlmsghdr *nlh, void *arg)
{
	struct walk *w = arg;
	struct nftnl_set *s = set_of(w->t, w->set);

	if (!s)
		return;
	nftnl_set_elems_nlmsg_build_payload(nlh, s);
	nftnl_set_free(s);
}

int nftt_foreach(struct nft_table *t, enum nftt_kind kind, nftt_elem_cb cb, void *arg)
{
	char name[32];
	struct walk w = { t, name, false, 0, cb, arg, 0 };

	/* Full-length keys first, like the XDP backend's exact map. */
	for (int v4 = 1; v4 >= 0; v4--)
		for (int plen = v4 ? 32 : 128; plen >= 0; plen--) {
			int rc;

			if (!t->have[kind][v4][plen])
				continue;
			set_name(name, sizeof(name), kind, v4, (unsigned)plen);
			w.v4 = v4;
			w.plen = (unsigned)plen;
			rc = nft_request(t->n, NFT_MSG_GETSETELEM, NFPROTO_INET, NLM_F_DUMP,
					 build_elems, elems_cb, &w);
			if (rc < 0 && rc != -ENOENT)
				return rc;
			if (w.rc)
				return w.rc;
		}
	return 0;
}

/* The element of k alone: the set is asked for its key. */
struct one {
	struct walk w;
	const struct rg_lpm_key *k;
};

static void build_one(struct nlmsghdr *nlh, void *arg)
{
	struct one *o = arg;
	struct nftnl_set *s = set_of(o->w.t, o->w.set);
	struct nftnl_set_elem *e = nftnl_set_elem_alloc();
	const uint8_t *key;
	bool v4;

	/* Neither frees NULL (libnftnl would dereference it). */
	if (s && e) {
		key_of(o->k, &v4, &key);
		nftnl_set_elem_set(e, NFTNL_SET_ELEM_KEY, key, v4 ? 4 : 16);
		nftnl_set_elem_add(s, e);       /* the set's now: freed with it */
		nftnl_set_elems_nlmsg_build_payload(nlh, s);
	} else if (e) {
		nftnl_set_elem_free(e);
	}
	if (s)
		nftnl_set_free(s);
}

int nftt_get(struct nft_table *t, enum nftt_kind kind, const struct rg_lpm_key *k,
	     nftt_elem_cb cb, void *arg)
{
	char name[32];
	bool v4;
	const uint8_t *key;
	unsigned plen = key_of(k, &v4, &key);
	struct one o = { { t, name, v4, plen, cb, arg, 0 }, k };
	int rc;

	if (!t->have[kind][v4][plen])
		return -ENOENT;
	set_name(name, sizeof(name), kind, v4, plen);
	rc = nft_request(t->n, NFT_MSG_GETSETELEM, NFPROTO_INET, NLM_F_ACK, build_one, elems_cb,
			 &o.w);
	return rc < 0 ? rc : o.w.rc;
}

static int rule_expr_cb(struct nftnl_expr *x, void *arg)
{
	uint64_t *c = arg;

	if (strcmp(nftnl_expr_get_str(x, NFTNL_EXPR_NAME), "counter") == 0) {
		c[0] += nftnl_expr_get_u64(x, NFTNL_EXPR_CTR_PACKETS);
		c[1] += nftnl_expr_get_u64(x, NFTNL_EXPR_CTR_BYTES);
	}
	return 0;
}

/* The rules of our chain, each known by its comment. */
struct rules_req {
	struct nft_table *t;
	const char *chain;
	struct nftt_counters *out;      /* nftt_counters() */
	bool *base, (*ban)[129];        /* nftt_missing(): the rules seen */
};

static int rule_cb(const struct nlmsghdr *nlh, struct rules_req *q)
{
	struct nftnl_rule *r = nftnl_rule_alloc();
	char comment[NFT_USERDATA_MAXLEN + 1] = "";
	uint64_t *c = NULL;
	uint32_t ulen = 0;
	const void *udata;
	unsigned plen;
	char fam[2];
	bool ban;

	if (!r || nftnl_rule_nlmsg_parse(nlh, r) < 0)
		goto out;
	if ((udata = nftnl_rule_get_data(r, NFTNL_RULE_USERDATA, &ulen)))
		nftnl_udata_parse(udata, ulen, comment_cb, comment);
	ban = sscanf(comment, "ban%1[46]_%u", fam, &plen) == 2 && plen <= 128;
	if (q->base) {
		if (ban)
			q->ban[fam[0] == '4'][plen] = true;
		else if (strcmp(comment, "unprotected port") == 0 ||
			 strcmp(comment, "drop") == 0 || strcmp(comment, "rst_suppressed") == 0)
			*q->base = true;
		goto out;
	}
	if (ban)
		c = plen == (fam[0] == '4' ? 32u : 128u) ? &q->out->exact_pkts : &q->out->prefix_pkts;
	else if (strncmp(comment, "allow", 5) == 0)
		c = &q->out->allow_pkts;
	else if (strcmp(comment, "rst_sent") == 0)
		c = &q->out->rst_sent_pkts;
	else if (strcmp(comment, "rst_suppressed") == 0)
		c = &q->out->rst_suppressed_pkts;
	if (c)
		nftnl_expr_foreach(r, rule_expr_cb, c);
out:
	nftnl_rule_free(r);
	return MNL_CB_OK;
}

static void build_rules(struct nlmsghdr *nlh, void *arg)
{
	struct rules_req *q = arg;
	struct nftnl_rule *r = nftnl_rule_alloc();

	if (!r)
		return;
	nftnl_rule_set_str(r, NFTNL_RULE_TABLE, q->t->name);
	nftnl_rule_set_str(r, NFTNL_RULE_CHAIN, q->chain);
	nftnl_rule_nlmsg_build_payload(nlh, r);
	nftnl_rule_free(r);
}

static int rules_cb(const struct nlmsghdr *nlh, void *arg)
{
	return rule_cb(nlh, arg);
}

int nftt_counters(struct nft_table *t, struct nftt_counters *out)
{
	struct rules_req q = { t, our_chain(t), out, NULL, NULL };
	int rc;

	memset(out, 0, sizeof(*out));
	if (!q.chain)
		return 0;
	rc = nft_request(t->n, NFT_MSG_GETRULE, NFPROTO_INET, NLM_F_DUMP, build_rules,
			 rules_cb, &q);
	if (rc < 0)
		return rc;
	/* A table made before the answer chain existed has none. */
	q.chain = answer_chain;
	rc = nft_request(t->n, NFT_MSG_GETRULE, NFPROTO_INET, NLM_F_DUMP, build_rules,
			 rules_cb, &q);
	return rc == -ENOENT ? 0 : rc;
}

int nftt_missing(struct nft_table *t, char *buf, size_t len)
{
	bool base = false, ban[2][129] = { { false } };
	struct rules_req q = { t, NULL, NULL, &base, ban };

	if (!t->exists) {
		snprintf(buf, len, "no nftables table inet %s", t->name);
		return 1;
	}
	/* Asked afresh: the chain may have gone since the table was opened. */
	if (!(q.chain = nftt_hook(t))) {
		snprintf(buf, len, "table inet %s has no ingress or prerouting chain", t->name);
		return 1;
	}
	if (nft_request(t->n, NFT_MSG_GETRULE, NFPROTO_INET, NLM_F_DUMP, build_rules, rules_cb,
			&q) < 0) {
		snprintf(buf, len, "cannot read the rules of chain %s", q.chain);
		return 1;
	}
	if (!base) {
		snprintf(buf, len, "chain %s has lost its rules", q.chain);
		return 1;
	}
	/* The ban rules go to the answer chain, whose last rule drops. */
	base = false;
	q.chain = answer_chain;
	if (nft_request(t->n, NFT_MSG_GETRULE, NFPROTO_INET, NLM_F_DUMP, build_rules, rules_cb,
			&q) < 0 || !base) {
		snprintf(buf, len, "chain %s has lost its rules", answer_chain);
		return 1;
	}
	q.chain = nftt_hook(t);
	for (unsigned v4 = 0; v4 < 2; v4++)
		for (unsigned plen = 0; plen <= 128; plen++)
			if (t->have[NFTT_BAN][v4][plen] && !ban[v4][plen]) {
				char name[32];

				set_name(name, sizeof(name), NFTT_BAN, v4, plen);
				snprintf(buf, len, "chain %s has no drop rule for set %s", q.chain,
					 name);
				return 1;
			}
	return 0;
}
