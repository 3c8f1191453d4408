tlc train --task classify --data spam-assassin --dropout 0.1 --warmup 100 --init mlm-small --lr 5e-4 --time-budget 10m --eval-every 500 --threads 1 --seed 1 --out runs/builtin/spam-small
