#!/bin/sh
# /init of the Linux test guest (tools/linux-guest.py puts it in the initramfs, beside busybox
# and Debian's virtio modules). It loads the modules, exercises every virtio device it finds —
# the gpu's framebuffer console, /dev/hwrng, the disk — and says on the serial console what each
# gave, in lines starting "VQTEST ", so a test can check that the guest did its part before it
# judges the recording. Then it powers the machine off (QEMU exits 0).
#
# Kernel command line: vqtest.busy=S keeps the framebuffer console busy with text for S seconds.
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
say() { echo "VQTEST $*"; }
arg() { for w in $(cat /proc/cmdline); do case "$w" in "$1="*) echo "${w#*=}";; esac; done; }

say start kernel=$(uname -r) cpus=$(grep -c ^processor /proc/cpuinfo)
for m in $(cat /etc/vqtest/modules); do
  if insmod /lib/modules/$m.ko; then say insmod $m ok; else say insmod $m failed; fi
done

gpu= rng= blk= inp= net=
for d in /sys/bus/virtio/devices/*; do
  [ -e "$d/device" ] || continue
  id=$(cat $d/device)
  drv=none
  [ -e "$d/driver" ] && drv=$(basename $(readlink $d/driver))
  say device $(basename $d) id=$id driver=$drv status=$(cat $d/status 2>/dev/null)
  case $id in
    0x0010) gpu=$drv;;
    0x0004) rng=$drv;;
    0x0002) blk=$drv;;
    0x0012) inp=$drv;;
    0x0001) net=$drv;;
  esac
done

if [ -n "$gpu" ] && [ "$gpu" != none ]; then
  i=0
  while [ ! -e /sys/class/graphics/fb0 ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i+1)); done
  if [ -e /sys/class/graphics/fb0 ]; then
    say fb fb0 name=$(cat /sys/class/graphics/fb0/name) size=$(cat /sys/class/graphics/fb0/virtual_size)
    for c in /sys/class/drm/card*-*; do
      [ -e "$c/modes" ] && say drm-mode $(basename $c) $(head -n 1 $c/modes) status=$(cat $c/status)
    done
    n=0
    while [ $n -lt 20 ]; do echo "vqsim: text on the framebuffer console, line $n" > /dev/tty1; n=$((n+1)); done
    say fbcon wrote $n lines
    busy=$(arg vqtest.busy)
    if [ -n "$busy" ]; then
      end=$(( $(date +%s) + busy ))
      n=0
      while [ $(date +%s) -lt $end ]; do
        echo "vqsim busy display: line $n at $(date +%s) ----------------------------------" > /dev/tty1
        n=$((n+1))
      done
      say busy wrote $n lines in $busy s
    fi
  else
    say fb none
  fi
elif [ -n "$gpu" ]; then
  say gpu unbound
  dmesg | grep -i -e virtio_gpu -e virtio-gpu -e 'virtio[0-9]' | while read -r l; do say dmesg $l; done
fi

if [ -n "$rng" ]; then
  bytes=$(dd if=/dev/hwrng bs=64 count=4 2>/dev/null | wc -c)
  say rng current=$(cat /sys/class/misc/hw_random/rng_current) bytes=$bytes \
      head=$(dd if=/dev/hwrng bs=16 count=1 2>/dev/null | od -An -tx1 | tr -d ' \n')
fi

if [ -n "$blk" ]; then
  say blk sectors=$(cat /sys/block/vda/size) sha256=$(dd if=/dev/vda bs=65536 count=16 2>/dev/null | sha256sum | cut -d' ' -f1)
fi

if [ -n "$inp" ]; then
  for e in /sys/class/input/event*; do
    [ -e "$e/device/name" ] && say input $(basename $e) name=\"$(cat $e/device/name)\" driver=$inp
  done
fi

if [ -n "$net" ]; then
  # the network device: link up, a DHCP exchange and a ping through QEMU's user network (its
  # DHCP server and gateway are inside QEMU: 10.0.2.2; nothing leaves the machine)
  ifc=
  for i in /sys/class/net/*; do [ "$(basename $i)" != lo ] && ifc=$(basename $i) && break; done
  if [ -n "$ifc" ]; then
    ip link set $ifc up
    lease=$(udhcpc -i $ifc -n -q -f -t 5 -T 1 -s /bin/true 2>&1 | sed -n 's/.*lease of \([0-9.]*\) obtained.*/\1/p')
    ip addr add ${lease:-10.0.2.15}/24 dev $ifc
    got=$(ping -c 3 -W 2 10.0.2.2 2>&1 | sed -n 's/.* \([0-9]*\) packets received.*/\1/p')
    say net $ifc mac=$(cat /sys/class/net/$ifc/address) driver=$net lease=${lease:-none} ping=${got:-0}/3 \
        rx=$(cat /sys/class/net/$ifc/statistics/rx_packets) tx=$(cat /sys/class/net/$ifc/statistics/tx_packets)
  else
    say net none driver=$net
  fi
fi

say uptime $(cut -d' ' -f1 /proc/uptime)  # the guest's time, for bench/linux_record.py
say done
sync
poweroff -f
