#!/bin/bash
NAME=$'vm\n::add-mask::x\e]0;t\a'
gcloud compute instances create "$NAME" --zone="a;id" --scopes=storage-ro \
  --service-account=app@p.iam.gserviceaccount.com
cat <<EOF
# scopelint:ignore-file SL001 in a heredoc
EOF
