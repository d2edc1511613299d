#!/bin/sh
# ship.sh <order id> <detail>: records the shipment (a stand-in for the
# call to the warehouse). The values arrive decrypted, as argv entries.
set -eu
printf '%s %s\n' "$1" "$2" >> "${SHIP_LOG:-shipments.log}"
