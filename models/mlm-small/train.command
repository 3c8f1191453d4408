tlc train --task mlm --corpus english --max-length 128 --lr 1e-3 --dropout 0 --preset tiny --time-budget 60m --eval-every 500 --threads 1 --seed 1 --out runs/builtin/mlm-small
