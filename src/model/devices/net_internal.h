/* net_internal.h — the network device's state, shared by its transmit side (net_device.c) and
 * its receive side (net_rx.c). Not for other files: net_device.h is the device's interface. */
#ifndef NET_INTERNAL_H
#define NET_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "model/device.h"
#include "model/devices/net_device.h"
#include "model/rings/chain.h"

#define NET_CONFIG_LEN 8u /* mac and status: QEMU's config_len for MAC | STATUS offered */

#define NET_MAC_TABLE 64u        /* QEMU's MAC_TABLE_ENTRIES */
#define NET_CTRL_MAX_DATA 65536u /* a command's data the model reads (a longer one: ERR) */

/* The receive filter the controlq sets (QEMU's promisc, allmulti…, mac_table, vlans). */
struct net_filter {
    bool promisc, allmulti, alluni, nomulti, nouni, nobcast;
    bool uni_overflow, multi_overflow;
    uint32_t in_use, first_multi;           /* macs[0..first_multi) unicast, then multicast */
    uint8_t macs[NET_MAC_TABLE][6];
    uint32_t vlans[4096 / 32];              /* with CTRL_VLAN: the VLAN ids let through */
};

struct net_sent {
    uint8_t *data;
    uint32_t len, full_len;
};

struct net_state {
    uint8_t mac[6], conf_mac[6];            /* the config's mac, and the NIC's (reset) */
    const struct net_frame *source;         /* the packet source (the scenario's) */
    uint32_t source_len;
    uint32_t next;                          /* the source's next frame to arrive */
    uint32_t pending;                       /* the first arrived frame not delivered or dropped:
                                             * pending..next-1 wait (QEMU's net queue) */
    uint64_t waiting_since;                 /* when the oldest of them began to wait */
    struct {                                /* frames dropped: no chain could hold them */
        uint32_t frames;
        uint64_t first_at;
        uint32_t need, room;                /* at the first: header + frame, the chain's bytes */
    } dropped;
    struct sr_batch held;                   /* receive chains taken and not used yet */
    uint32_t held_first;                    /* the first of them still unused */
    struct net_sent *sink;                  /* the frames the driver sent, in order */
    uint32_t n_sink, cap_sink;
    struct net_frame *arrived;              /* a recording's arrivals (net_host_arrival) */
    uint32_t cap_arrived;
    bool unfiltered;                        /* they passed QEMU's filter: no filter here */
    struct net_filter filter;
    uint32_t filtered;                      /* frames the filter kept from the guest */
    uint64_t first_filtered_at;
    uint8_t first_filtered_dest[6];
    uint32_t ctrl_commands;                 /* controlq commands answered */
    uint8_t ctrl_data[NET_CTRL_MAX_DATA];   /* the command being run's data */
};

/* Deliver the waiting frames while the receiveq has room (QEMU's qemu_flush_queued_packets);
 * returns how many chains were pushed with the interrupt due. */
uint32_t net_rx_flush(struct net_state *s, struct machine *m);

/* The controlq (net_ctrl.c): run every command made available; returns the chains pushed with
 * the interrupt due. */
uint32_t net_ctrl_flush(struct net_state *s, struct machine *m);

/* The receive filter as QEMU's reset leaves it (promiscuous), and its verdict on a frame. */
void net_filter_reset(struct net_filter *f);
bool net_filter_accepts(const struct net_state *s, const struct machine *m, const uint8_t *p,
                        uint32_t len);

/* device_ops.host_arrival (net_rx.c). */
uint32_t net_host_arrival(void *state, struct machine *m, uint32_t qi, uint64_t bytes);

/* device_ops.explain (net_rx.c). */
bool net_explain(const void *state, const struct machine *m, uint32_t qi,
                 struct device_silence *out);

#endif /* NET_INTERNAL_H */
