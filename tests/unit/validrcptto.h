/* validrcptto.h - the RCPT check of three validrcptto patches, for tests:
 * each follows its patch's lookup as interfaces.md section 2 describes it
 * (read from each patch's qmail-smtpd.c), so that a file compiled for that
 * patch is read back the way its qmail-smtpd reads it.
 * addr is the address as qmail-smtpd's addrparse() leaves it: no angle
 * brackets, quotes or source route, case as sent. fd is the open CDB. */
#ifndef RG_TEST_VALIDRCPTTO_H
#define RG_TEST_VALIDRCPTTO_H

enum vrt_answer {
	VRT_ERROR = -2,         /* the CDB could not be read */
	VRT_REFUSE = -1,        /* 553 ... not in my validrcptto list */
	VRT_NONE = 0,           /* no answer: the next check decides */
	VRT_ACCEPT = 1,
};

/* jms1's combined patch 7.08 (VALIDRCPTTO_CDB): the ASCII-lower-cased
 * address, then prefix-default@domain cutting at each '-' from the right,
 * then @domain; the first key found decides, refusing when its data starts
 * with '-'; nothing found refuses. */
enum vrt_answer vrt_jms1_708(int fd, const char *addr);

/* The 2006 standalone patch (control/validrcptto.cdb): the same search,
 * the data ignored: any key found accepts. */
enum vrt_answer vrt_2006(int fd, const char *addr);

/* sagredo's qmail (control/morevalidrcptto.cdb or MOREVALIDRCPTTO_CDB):
 * no -default search; keys addr, -addr, @domain, -@domain, each looked up,
 * deciding in that order; nothing found is no answer (chkuser decides). */
enum vrt_answer vrt_sagredo(int fd, const char *addr);

#endif
