// SPDX-License-Identifier: GPL-2.0-only
/*
 * btrfs property get|set|list: ro (subvolume), label (filesystem, device),
 * compression and dax (inode).  On a mounted filesystem through ioctls and
 * xattrs like stock btrfs-progs; with --image on an unmounted filesystem
 * through the engine (cmds/property-offline.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <mntent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/xattr.h>
#include <linux/btrfs.h>
#include <linux/fs.h>
#include <linux/magic.h>
#include "cmds/commands.h"
#include "cmds/property.h"
#include "common/help.h"
#include "common/messages.h"

#ifndef FS_XFLAG_DAX
#define FS_XFLAG_DAX		0x00008000
#endif
#ifndef STATX_ATTR_DAX
#define STATX_ATTR_DAX		0x00200000
#endif
/* The top directory of every subvolume. */
#define SUBVOL_TOP_INO		256

const struct prop_desc prop_table[PROP_NR] = {
	[PROP_RO] = { "ro", "read-only status of a subvolume",
		      PROP_OBJ_SUBVOL },
	[PROP_LABEL] = { "label", "label of the filesystem",
			 PROP_OBJ_FS | PROP_OBJ_DEV },
	[PROP_COMPRESSION] = { "compression",
			       "compression algorithm for the file or directory",
			       PROP_OBJ_INODE },
	[PROP_DAX] = { "dax",
		       "direct access (DAX) flag of the file or directory",
		       PROP_OBJ_INODE },
};

void prop_print_help(enum prop_id id)
{
	printf("%-20s%s\n", prop_table[id].name, prop_table[id].desc);
}

int prop_select(const char *name, unsigned int *types)
{
	int id;

	for (id = 0; id < PROP_NR; id++)
		if (!strcmp(prop_table[id].name, name))
			break;
	if (id == PROP_NR) {
		error("unknown property: %s", name);
		return -1;
	}
	*types &= prop_table[id].types;
	if (!*types) {
		error("object is not compatible with property: %s", name);
		return -1;
	}
	if (*types & (*types - 1)) {
		error("type of object is ambiguous, please use option -t");
		return -1;
	}
	return id;
}

int prop_parse_ro(const char *value, bool *ro)
{
	if (!strcmp(value, "true") || !strcmp(value, "false")) {
		*ro = value[0] == 't';
		return 0;
	}
	error("invalid value for property: %s", value);
	return -EINVAL;
}

int prop_parse_dax(const char *value, bool *on)
{
	if (!strcmp(value, "on") || !strcmp(value, "off")) {
		*on = !strcmp(value, "on");
		return 0;
	}
	error("invalid value for property: %s (dax is on or off)", value);
	return -EINVAL;
}

int prop_check_label(const char *value)
{
	if (strlen(value) <= PROP_LABEL_MAX)
		return 0;
	error("label %s is too long (max %d)", value, PROP_LABEL_MAX);
	return -EINVAL;
}

int prop_check_compression(const char *value, char *incompat)
{
	static const char *const algos[] = { "zlib", "lzo", "zstd" };
	const char *level;
	size_t i, len;

	*incompat = 0;
	if (!*value || !strcmp(value, "no") || !strcmp(value, "none"))
		return 0;
	for (i = 0; i < sizeof(algos) / sizeof(algos[0]); i++) {
		len = strlen(algos[i]);
		if (strncmp(value, algos[i], len))
			continue;
		level = value + len;
		if (*level == ':' && i != 1) {
			level++;
			if (*level == '-' && i == 2)
				level++;
			if (!*level || strspn(level, "0123456789") != strlen(level))
				break;
		} else if (*level) {
			break;
		}
		*incompat = i == 1 ? 'l' : i == 2 ? 'z' : 0;
		return 0;
	}
	error("invalid value for property: %s (zlib, lzo, zstd with an optional :LEVEL, no, none, or \"\")",
	      value);
	return -EINVAL;
}

/* ---- the online form ---- */

/* Opens without blocking on a FIFO and without needing write access. */
static int object_open(const char *object)
{
	int fd = open(object, O_RDONLY | O_NONBLOCK | O_CLOEXEC);

	if (fd < 0)
		error("cannot open '%s': %m", object);
	return fd;
}

static int fsid_of(const char *path, unsigned char *fsid)
{
	struct btrfs_ioctl_fs_info_args info;
	int fd, ret;

	fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	memset(&info, 0, sizeof(info));
	ret = ioctl(fd, BTRFS_IOC_FS_INFO, &info) ? -errno : 0;
	close(fd);
	if (!ret)
		memcpy(fsid, info.fsid, BTRFS_FSID_SIZE);
	return ret;
}

/* The top of a mounted btrfs: its parent is another filesystem. */
static int object_is_fs_root(const char *object, const struct stat *st)
{
	unsigned char fsid[BTRFS_FSID_SIZE], parent[BTRFS_FSID_SIZE];
	char buf[PATH_MAX + 4];
	int ret;

	if (!S_ISDIR(st->st_mode))
		return 0;
	ret = fsid_of(object, fsid);
	if (ret)
		return ret;
	snprintf(buf, sizeof(buf), "%s/..", object);
	ret = fsid_of(buf, parent);
	if (ret == -ENOTTY || ret == -EINVAL)
		return 1;
	if (ret)
		return ret;
	return memcmp(fsid, parent, BTRFS_FSID_SIZE) != 0;
}

/* What stock detects: inode, subvolume, filesystem top, device. */
static int object_detect(const char *object, unsigned int *types)
{
	struct statfs sfs;
	struct stat st;
	int ret;

	*types = 0;
	if (lstat(object, &st)) {
		error("failed to detect object type: %m");
		return -errno;
	}
	if (!S_ISBLK(st.st_mode) && !statfs(object, &sfs) &&
	    sfs.f_type == BTRFS_SUPER_MAGIC) {
		*types |= PROP_OBJ_INODE;
		if (st.st_ino == SUBVOL_TOP_INO)
			*types |= PROP_OBJ_SUBVOL;
		ret = object_is_fs_root(object, &st);
		if (ret < 0) {
			errno = -ret;
			error("failed to detect object type: %m");
			return ret;
		}
		if (ret)
			*types |= PROP_OBJ_FS;
	}
	if (S_ISBLK(st.st_mode))
		*types |= PROP_OBJ_DEV;
	if (!*types) {
		error("object is not a btrfs object: %s", object);
		return -EINVAL;
	}
	return 0;
}

static int online_ro(const char *object, const char *value, bool force)
{
	struct btrfs_ioctl_get_subvol_info_args info;
	struct btrfs_ioctl_received_subvol_args recv;
	static const unsigned char zero[BTRFS_UUID_SIZE];
	bool ro, received = false;
	__u64 flags;
	int fd, ret = -EINVAL;

	if (value && prop_parse_ro(value, &ro))
		return -EINVAL;
	fd = object_open(object);
	if (fd < 0)
		return -errno;
	if (ioctl(fd, BTRFS_IOC_SUBVOL_GETFLAGS, &flags)) {
		ret = -errno;
		error("cannot get the flags of subvolume '%s': %m", object);
		goto out;
	}
	if (!value) {
		printf("ro=%s\n", flags & BTRFS_SUBVOL_RDONLY ? "true" : "false");
		ret = 0;
		goto out;
	}
	ret = 0;
	if (!!(flags & BTRFS_SUBVOL_RDONLY) == ro)
		goto out;
	memset(&info, 0, sizeof(info));
	if (!ioctl(fd, BTRFS_IOC_GET_SUBVOL_INFO, &info))
		received = memcmp(info.received_uuid, zero, sizeof(zero)) != 0;
	if (!ro && received && !force) {
		error("cannot make a received subvolume read-write, its received_uuid is used by incremental send; use -f to do it anyway and clear received_uuid, or make a snapshot instead");
		ret = -EPERM;
		goto out;
	}
	if (ro && received)
		warning("subvolume '%s' is read-write but has a received_uuid, incremental send from it is unreliable",
			object);
	flags = ro ? flags | BTRFS_SUBVOL_RDONLY : flags & ~BTRFS_SUBVOL_RDONLY;
	if (ioctl(fd, BTRFS_IOC_SUBVOL_SETFLAGS, &flags)) {
		ret = -errno;
		error("cannot set the flags of subvolume '%s': %m", object);
		goto out;
	}
	if (!ro && received) {
		memset(&recv, 0, sizeof(recv));
		if (ioctl(fd, BTRFS_IOC_SET_RECEIVED_SUBVOL, &recv))
			warning("cannot clear the received_uuid of '%s': %m",
				object);
	}
out:
	close(fd);
	return ret;
}

/* The mount point of a mounted block device, or NULL (free it). */
static char *device_mount_point(const char *dev)
{
	struct stat st, mst;
	struct mntent *m;
	char *found = NULL;
	FILE *f;

	if (stat(dev, &st) || !S_ISBLK(st.st_mode))
		return NULL;
	f = setmntent("/proc/self/mounts", "r");
	if (!f)
		return NULL;
	while (!found && (m = getmntent(f))) {
		if (strcmp(m->mnt_type, "btrfs") || stat(m->mnt_fsname, &mst))
			continue;
		if (S_ISBLK(mst.st_mode) && mst.st_rdev == st.st_rdev)
			found = strdup(m->mnt_dir);
	}
	endmntent(f);
	return found;
}

/* An unmounted device: the offline form on its top directory. */
static int device_offline(const char *dev, const char *value)
{
	const char *images[] = { dev };
	struct prop_args a = {
		.mode = value ? PROP_SET : PROP_GET, .types = PROP_OBJ_DEV,
		.object = "/", .name = "label", .value = value,
		.images = images, .nr_images = 1,
	};

	return prop_offline_run(&a) ? -EIO : 0;
}

static int online_label(const char *object, unsigned int type,
			const char *value)
{
	char label[BTRFS_LABEL_SIZE + 1], *mnt = NULL;
	const char *path = object;
	int fd, ret = 0;

	if (value && prop_check_label(value))
		return -EINVAL;
	if (type == PROP_OBJ_DEV) {
		mnt = device_mount_point(object);
		if (!mnt)
			return device_offline(object, value);
		if (value) {
			error("device %s is mounted, use mount point", object);
			free(mnt);
			return -EBUSY;
		}
		path = mnt;
	}
	fd = object_open(path);
	if (fd < 0) {
		free(mnt);
		return -errno;
	}
	memset(label, 0, sizeof(label));
	if (value) {
		strncpy(label, value, BTRFS_LABEL_SIZE - 1);
		if (ioctl(fd, BTRFS_IOC_SET_FSLABEL, label)) {
			ret = -errno;
			error("cannot set the label of '%s': %m", object);
		}
	} else if (ioctl(fd, BTRFS_IOC_GET_FSLABEL, label)) {
		ret = -errno;
		error("cannot get the label of '%s': %m", object);
	} else {
		printf("label=%s\n", label);
	}
	close(fd);
	free(mnt);
	return ret;
}

static int online_compression(const char *object, const char *value)
{
	char buf[256];
	ssize_t len;

	if (value) {
		if (setxattr(object, PROP_XATTR_COMPRESSION, value,
			     strlen(value), 0)) {
			error("failed to set compression for %s: %m", object);
			return -errno;
		}
		return 0;
	}
	len = getxattr(object, PROP_XATTR_COMPRESSION, buf, sizeof(buf) - 1);
	if (len < 0) {
		if (errno == ENODATA)
			return 0;
		error("failed to get compression for %s: %m", object);
		return -errno;
	}
	printf("compression=%.*s\n", (int)len, buf);
	return 0;
}

/*
 * The device and the path inside the filesystem (from the top-level
 * subvolume) of a file on a mounted btrfs, for the offline form's hint.
 */
static int mount_locate(const char *object, char **dev, char **inner)
{
	char *real = realpath(object, NULL), *subvol = NULL;
	size_t best = 0, len;
	struct mntent *m;
	FILE *f;

	*dev = *inner = NULL;
	f = real ? setmntent("/proc/self/mounts", "r") : NULL;
	while (f && (m = getmntent(f))) {
		const char *opt = hasmntopt(m, "subvol");

		len = strlen(m->mnt_dir);
		if (strcmp(m->mnt_type, "btrfs") || len < best ||
		    strncmp(real, m->mnt_dir, len) ||
		    (real[len] != '/' && real[len] && len > 1))
			continue;
		best = len;
		free(*dev);
		free(subvol);
		*dev = strdup(m->mnt_fsname);
		subvol = opt ? strndup(opt + 7, strcspn(opt + 7, ",")) : NULL;
	}
	if (f)
		endmntent(f);
	if (*dev && asprintf(inner, "%s/%s", subvol ? subvol : "",
			     real + (best > 1 ? best : 0)) < 0)
		*inner = NULL;
	free(subvol);
	free(real);
	if (*dev && *inner)
		return 0;
	free(*dev);
	return -ENOENT;
}

static void dax_unsupported(const char *object, const char *value, int err)
{
	char *dev, *inner, *p;
	int ret = mount_locate(object, &dev, &inner);

	errno = err;
	if (ret) {
		error("the running kernel does not support DAX on btrfs (FS_IOC_FSSETXATTR: %m); set it offline: btrfs property set --image DEVICE PATH-INSIDE-THE-FS dax %s",
		      value);
		return;
	}
	/* Squeeze "//" out of the joined path. */
	for (p = inner; (p = strstr(p, "//"));)
		memmove(p, p + 1, strlen(p));
	error("the running kernel does not support DAX on btrfs (FS_IOC_FSSETXATTR: %m); set it offline: umount, then btrfs property set --image %s %s dax %s",
	      dev, inner, value);
	free(dev);
	free(inner);
}

static int online_dax_get(int fd, const char *object, bool named)
{
	struct fsxattr fsx;
	struct statx stx;
	bool on, active = false;

	if (ioctl(fd, FS_IOC_FSGETXATTR, &fsx)) {
		/* FIFOs and device files have no flags: nothing to list. */
		if (!named && (errno == ENOTTY || errno == EOPNOTSUPP))
			return 0;
		error("cannot get the attributes of '%s': %m", object);
		return -errno;
	}
	on = fsx.fsx_xflags & FS_XFLAG_DAX;
	if (!statx(fd, "", AT_EMPTY_PATH, STATX_BASIC_STATS, &stx))
		active = stx.stx_attributes & STATX_ATTR_DAX;
	if (named || on || active)
		printf("dax=%s\ndax_active=%s\n", on ? "on" : "off",
		       active ? "on" : "off");
	return 0;
}

static int online_dax(const char *object, const char *value, bool named)
{
	struct fsxattr fsx;
	bool on;
	int fd, ret = 0;

	if (value && prop_parse_dax(value, &on))
		return -EINVAL;
	fd = object_open(object);
	if (fd < 0)
		return -errno;
	if (!value) {
		ret = online_dax_get(fd, object, named);
		goto out;
	}
	if (ioctl(fd, FS_IOC_FSGETXATTR, &fsx)) {
		ret = -errno;
		error("cannot get the attributes of '%s': %m", object);
		goto out;
	}
	fsx.fsx_xflags = on ? fsx.fsx_xflags | FS_XFLAG_DAX :
			      fsx.fsx_xflags & ~FS_XFLAG_DAX;
	if (!ioctl(fd, FS_IOC_FSSETXATTR, &fsx))
		goto out;
	ret = -errno;
	if (ret == -EOPNOTSUPP || ret == -EINVAL)
		dax_unsupported(object, value, -ret);
	else
		error("cannot set dax on '%s': %m", object);
out:
	close(fd);
	return ret;
}

static int online_one(enum prop_id id, unsigned int type, const char *object,
		      const char *value, bool force, bool named)
{
	switch (id) {
	case PROP_RO:
		return online_ro(object, value, force);
	case PROP_LABEL:
		return online_label(object, type, value);
	case PROP_COMPRESSION:
		return online_compression(object, value);
	case PROP_DAX:
		return online_dax(object, value, named);
	default:
		return -EINVAL;
	}
}

/* get or list without a name: every property for every type that fits. */
static int online_all(const struct prop_args *a, unsigned int types)
{
	unsigned int type;
	int id;

	for (id = 0; id < PROP_NR; id++) {
		for (type = 1; type & PROP_OBJ_ALL; type <<= 1) {
			if (!(types & type) || !(prop_table[id].types & type))
				continue;
			if (a->mode == PROP_LIST)
				prop_print_help((enum prop_id)id);
			else if (online_one((enum prop_id)id, type, a->object,
					    NULL, false, false))
				return 1;
		}
	}
	return 0;
}

/* ---- command line ---- */

static int parse_type(const char *s, unsigned int *types)
{
	static const struct { const char *name; unsigned int type; } names[] = {
		{ "s", PROP_OBJ_SUBVOL }, { "subvol", PROP_OBJ_SUBVOL },
		{ "f", PROP_OBJ_FS }, { "filesystem", PROP_OBJ_FS },
		{ "i", PROP_OBJ_INODE }, { "inode", PROP_OBJ_INODE },
		{ "d", PROP_OBJ_DEV }, { "device", PROP_OBJ_DEV },
	};
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (!strcmp(s, names[i].name)) {
			*types = names[i].type;
			return 0;
		}
	}
	error("invalid object type: %s", s);
	return -EINVAL;
}

enum { OPT_IMAGE = 256 };

static int parse_args(const struct cmd_struct *cmd, int argc, char **argv,
		      struct prop_args *a, int min, int max)
{
	static const struct option longopts[] = {
		{ "image", required_argument, NULL, OPT_IMAGE },
		{ NULL, 0, NULL, 0 }
	};
	const char *type = NULL;
	int c;

	while ((c = getopt_long(argc, argv, "ft:", longopts, NULL)) != -1) {
		if (c == 'f') {
			a->force = true;
		} else if (c == 't') {
			type = optarg;
		} else if (c == OPT_IMAGE) {
			a->images[a->nr_images++] = optarg;
		} else {
			usage_unknown_option(cmd, argv);
			return -EINVAL;
		}
	}
	if (check_argc_min(cmd, argc - optind, min) ||
	    check_argc_max(cmd, argc - optind, max))
		return -EINVAL;
	if (type && parse_type(type, &a->types))
		return -EINVAL;
	a->object = argv[optind++];
	if (optind < argc)
		a->name = argv[optind++];
	if (optind < argc)
		a->value = argv[optind++];
	return 0;
}

static int property_run(const struct cmd_struct *cmd, int argc, char **argv,
			enum prop_mode mode)
{
	static const int min_args[] = { [PROP_GET] = 1, [PROP_SET] = 3,
					[PROP_LIST] = 1 };
	static const int max_args[] = { [PROP_GET] = 2, [PROP_SET] = 3,
					[PROP_LIST] = 1 };
	struct prop_args a = { .mode = mode };
	unsigned int types;
	int id, ret;

	/* Every --image takes one argument: at most argc of them. */
	a.images = calloc((size_t)argc + 1, sizeof(*a.images));
	if (!a.images)
		return 1;
	ret = parse_args(cmd, argc, argv, &a, min_args[mode], max_args[mode]);
	if (ret)
		goto out;
	if (a.nr_images) {
		ret = prop_offline_run(&a);
		goto out;
	}
	types = a.types;
	if (!types && object_detect(a.object, &types)) {
		ret = 1;
		goto out;
	}
	if (!a.name) {
		ret = online_all(&a, types);
		goto out;
	}
	id = prop_select(a.name, &types);
	ret = id < 0 ? 1 : !!online_one((enum prop_id)id, types, a.object,
					a.value, a.force, true);
out:
	free(a.images);
	return ret ? 1 : 0;
}

static const char *const cmd_property_get_usage[] = {
	"btrfs property get [-t <type>] [--image <device>] <object> [<name>]",
	"Get a property value of a btrfs object",
	"Get a property value of a btrfs object.  Without a name, every",
	"property of the object that has a value is printed.",
	"An object is the filesystem itself, a subvolume, an inode (file or",
	"directory) or a device.  The option -t says which one is meant; it is",
	"only needed when a property applies to more than one type of object.",
	"",
	"Possible values for type are: inode, subvol, filesystem, device.",
	"They can be abbreviated to the first letter, i/s/f/d",
	"With --image, object is a path inside the unmounted filesystem on",
	"device, from its top-level subvolume.",
	"",
	HELP_OPT("-t <TYPE>", "list properties for the given object type (inode, subvol, filesystem, device)"),
	HELP_OPT("--image <device>", "the object is a path inside this unmounted filesystem\n(an image file or device; repeat for more devices)"),
	NULL
};

static int cmd_property_get_fn(const struct cmd_struct *cmd, int argc,
			       char **argv)
{
	return property_run(cmd, argc, argv, PROP_GET);
}

static const struct cmd_struct cmd_property_get = {
	.name = "get",
	.usage = cmd_property_get_usage,
	.fn = cmd_property_get_fn,
};

static const char *const cmd_property_set_usage[] = {
	"btrfs property set [-f] [-t <type>] [--image <device>] <object> <name> <value>",
	"Set a property on a btrfs object",
	"Set a property on a btrfs object: a file or directory, a subvolume,",
	"the filesystem or a device, by type.  With --image, the change is one",
	"transaction on the unmounted filesystem on device.",
	"",
	HELP_OPT("-t <TYPE>", "list properties for the given object type (inode, subvol, filesystem, device)"),
	HELP_OPT("-f", "force the change, could potentially break something"),
	HELP_OPT("--image <device>", "the object is a path inside this unmounted filesystem\n(an image file or device; repeat for more devices)"),
	NULL
};

static int cmd_property_set_fn(const struct cmd_struct *cmd, int argc,
			       char **argv)
{
	return property_run(cmd, argc, argv, PROP_SET);
}

static const struct cmd_struct cmd_property_set = {
	.name = "set",
	.usage = cmd_property_set_usage,
	.fn = cmd_property_set_fn,
};

static const char *const cmd_property_list_usage[] = {
	"btrfs property list [-t <type>] [--image <device>] <object>",
	"Lists available properties with their descriptions for the given object",
	"Lists the properties that apply to the object, with a description.",
	"See 'btrfs property get --help' for objects and their types.",
	"",
	HELP_OPT("-t <TYPE>", "list properties for the given object type (inode, subvol, filesystem, device)"),
	HELP_OPT("--image <device>", "the object is a path inside this unmounted filesystem\n(an image file or device; repeat for more devices)"),
	NULL
};

static int cmd_property_list_fn(const struct cmd_struct *cmd, int argc,
				char **argv)
{
	return property_run(cmd, argc, argv, PROP_LIST);
}

static const struct cmd_struct cmd_property_list = {
	.name = "list",
	.usage = cmd_property_list_usage,
	.fn = cmd_property_list_fn,
};

static const char *const property_usage[] = {
	"btrfs property get/set/list [-t <type>] <object> [<name>] [value]",
	NULL
};

static const struct cmd_struct *const property_commands[] = {
	&cmd_property_get,
	&cmd_property_set,
	&cmd_property_list,
	NULL
};

static const struct cmd_group property_group = {
	.usage = property_usage,
	.info = "modify properties of filesystem objects",
	.commands = property_commands,
};

const struct cmd_struct cmd_struct_property = {
	.name = "property",
	.usage = property_usage,
	.group = &property_group,
};
