/* links.c - one pinned bpf_link per interface. A pinned link keeps the
 * program attached after the loader exits; removing the pin (or
 * bpf_link_detach) takes it off. */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <dirent.h>
#include <errno.h>
#include <linux/if_link.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "duration.h"
#include "links.h"
#include "log.h"
#include "pins.h"

const char *links_mode_name(uint32_t mode)
{
	return mode == RG_MODE_NATIVE ? "native" : mode == RG_MODE_GENERIC ? "generic" : "unknown";
}

static int link_ifindex(int fd, uint32_t *ifindex, uint32_t *prog_id)
{
	struct bpf_link_info info;
	__u32 len = sizeof(info);

	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(fd, &info, &len) < 0)
		return -errno;
	if (info.type != BPF_LINK_TYPE_XDP)
		return -EINVAL;
	*ifindex = info.xdp.ifindex;
	*prog_id = info.prog_id;
	return 0;
}

static int create(int prog_fd, uint32_t ifindex, uint32_t mode)
{
	LIBBPF_OPTS(bpf_link_create_opts, opts,
		    .flags = mode == RG_MODE_NATIVE ? XDP_FLAGS_DRV_MODE : XDP_FLAGS_SKB_MODE);
	int fd = bpf_link_create(prog_fd, (int)ifindex, BPF_XDP, &opts);

	return fd < 0 ? -errno : fd;
}

/* A pinned link from an earlier run: move it to the new program, or drop
 * it when it no longer fits (interface recreated, mode changed).
 * Returns the link fd, or -1 when a fresh attach is needed. */
static int reuse(const struct rg_maps *m, const char *path, uint32_t ifindex,
		 int prog_fd, enum xdp_mode_cfg want, uint32_t *mode)
{
	int fd = bpf_obj_get(path);
	uint32_t li_ifindex, prog_id;
	struct rg_iface rec;

	if (fd < 0)
		return -1;
	if (link_ifindex(fd, &li_ifindex, &prog_id) == 0 && li_ifindex == ifindex &&
	    bpf_map_lookup_elem(m->ifaces, &ifindex, &rec) == 0 &&
	    (want == XDP_MODE_AUTO || (want == XDP_MODE_NATIVE) == (rec.mode == RG_MODE_NATIVE)) &&
	    bpf_link_update(fd, prog_fd, NULL) == 0) {
		*mode = rec.mode;
		return fd;
	}
	/* Stale: a link of a vanished interface, or the wrong mode. */
	bpf_link_detach(fd);
	close(fd);
	unlink(path);
	return -1;
}

int links_attach(const struct rg_maps *m, const char *dir, const char *ifname,
		 int prog_fd, enum xdp_mode_cfg want, struct link_info *out,
		 char *err, size_t errlen)
{
	char path[4096];
	uint32_t ifindex = if_nametoindex(ifname), mode = 0, other = 0;
	struct rg_iface rec;
	bool reused;
	int fd;

	if (!ifindex) {
		snprintf(err, errlen, "cannot attach to %s: no such interface; "
			 "check the interface lines in the config", ifname);
		return -1;
	}
	if (pins_link_path(path, sizeof(path), dir, ifname) < 0) {
		snprintf(err, errlen, "pin path for %s is too long", ifname);
		return -1;
	}
	fd = reuse(m, path, ifindex, prog_fd, want, &mode);
	reused = fd >= 0;
	if (!reused) {
		if (bpf_xdp_query_id((int)ifindex, 0, &other) == 0 && other) {
			snprintf(err, errlen, "cannot attach to %s: another XDP program (id %u) "
				 "is attached; detach it (ip link set dev %s xdp off) or use "
				 "another interface", ifname, other, ifname);
			return -1;
		}
		mode = want == XDP_MODE_GENERIC ? RG_MODE_GENERIC : RG_MODE_NATIVE;
		fd = create(prog_fd, ifindex, mode);
		if (fd < 0 && want == XDP_MODE_AUTO) {
			log_warn("event=xdp_fallback ifname=%s from=native to=generic error=\"%s\"",
				 ifname, strerror(-fd));
			mode = RG_MODE_GENERIC;
			fd = create(prog_fd, ifindex, mode);
		}
		if (fd < 0) {
			snprintf(err, errlen, "cannot attach to %s in %s mode: %s%s", ifname,
				 links_mode_name(mode), strerror(-fd),
				 want == XDP_MODE_NATIVE ? "; try xdp_mode = generic" : "");
			return -1;
		}
		if (bpf_obj_pin(fd, path) < 0) {
			snprintf(err, errlen, "cannot pin the XDP link of %s at %s: %s",
				 ifname, path, strerror(errno));
			bpf_link_detach(fd);
			close(fd);
			return -1;
		}
	}
	memset(&rec, 0, sizeof(rec));
	snprintf(rec.name, sizeof(rec.name), "%s", ifname);
	rec.ifindex = ifindex;
	rec.mode = mode;
	rec.attached_unix = wall_secs();
	if (reused) {
		struct rg_iface old;

		if (bpf_map_lookup_elem(m->ifaces, &ifindex, &old) == 0)
			rec.attached_unix = old.attached_unix;
	}
	bpf_map_update_elem(m->ifaces, &ifindex, &rec, BPF_ANY);
	if (out) {
		memset(out, 0, sizeof(*out));
		snprintf(out->ifname, sizeof(out->ifname), "%s", ifname);
		out->ifindex = ifindex;
		out->mode = mode;
		out->attached_unix = rec.attached_unix;
		link_ifindex(fd, &ifindex, &out->prog_id);
	}
	log_info("event=attach ifname=%s mode=%s link=%s", ifname, links_mode_name(mode),
		 reused ? "reused" : "new");
	close(fd);
	return 0;
}

struct move {
	const char *dir;
	int prog_fd;
	int failed;
};

static int move_one(const struct link_info *li, void *arg)
{
	struct move *mv = arg;
	char path[4096];
	int fd;

	if (pins_link_path(path, sizeof(path), mv->dir, li->ifname) < 0 ||
	    (fd = bpf_obj_get(path)) < 0)
		return 0;
	if (bpf_link_update(fd, mv->prog_fd, NULL) < 0) {
		log_warn("event=link_update_failed ifname=%s error=\"%s\"", li->ifname,
			 strerror(errno));
		mv->failed++;
	}
	close(fd);
	return 0;
}

int links_move(const struct rg_maps *m, const char *dir, int prog_fd)
{
	struct move mv = { dir, prog_fd, 0 };

	links_foreach(m, dir, move_one, &mv);
	return mv.failed;
}

int links_detach(const struct rg_maps *m, const char *dir, const char *ifname)
{
	char path[4096];
	uint32_t ifindex, prog_id;
	int fd;

	if (pins_link_path(path, sizeof(path), dir, ifname) < 0)
		return -ENAMETOOLONG;
	fd = bpf_obj_get(path);
	if (fd < 0)
		return -ENOENT;
	if (link_ifindex(fd, &ifindex, &prog_id) == 0)
		bpf_map_delete_elem(m->ifaces, &ifindex);
	/* Detach explicitly: a running daemon may still hold the link open. */
	bpf_link_detach(fd);
	close(fd);
	return unlink(path) < 0 ? -errno : 0;
}

int links_foreach(const struct rg_maps *m, const char *dir, link_cb cb, void *arg)
{
	char path[4096];
	struct dirent *de;
	DIR *d;
	int rc = 0;

	if (pins_link_path(path, sizeof(path), dir, "") < 0 || !(d = opendir(path)))
		return 0;
	while (!rc && (de = readdir(d))) {
		struct link_info li;
		struct rg_iface rec;
		int fd;

		if (de->d_name[0] == '.' || strlen(de->d_name) >= RG_IFNAME_LEN ||
		    pins_link_path(path, sizeof(path), dir, de->d_name) < 0)
			continue;
		fd = bpf_obj_get(path);
		if (fd < 0)
			continue;
		memset(&li, 0, sizeof(li));
		snprintf(li.ifname, sizeof(li.ifname), "%s", de->d_name);
		if (link_ifindex(fd, &li.ifindex, &li.prog_id) == 0 &&
		    bpf_map_lookup_elem(m->ifaces, &li.ifindex, &rec) == 0) {
			li.mode = rec.mode;
			li.attached_unix = rec.attached_unix;
		}
		close(fd);
		rc = cb(&li, arg);
	}
	closedir(d);
	return rc;
}
