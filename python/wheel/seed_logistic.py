"""The seed's logistic snippet, run from an installed wheel (wheel_install_test.sh).
Usage: python seed_logistic.py [BACKEND]"""
import sys

from neon.backends import gen_backend, Autodiff

be = gen_backend(backend=sys.argv[1] if len(sys.argv) > 1 else None, rng_seed=0)
myTensor = be.zeros((10,10), name = 'myTensor')
f = 1/(1+be.exp(-1*myTensor))
fval = be.empty((10,10)) # allocate space for output
fval[:] = f # execute the op-tree
myAutodiff = Autodiff(op_tree = f, be = be)
grads = myAutodiff.get_grad_tensor(myTensor)
assert (grads.get() == 0.25).all(), grads.get()
grads = myAutodiff.get_grad_asnumpyarray(myTensor)
assert (grads == 0.25).all(), grads
grads = be.empty((10,10))
myAutodiff.back_prop_grad(myTensor,grads)
assert (grads.get() == 0.25).all() and (fval.get() == 0.5).all()
print("seed logistic snippet on %s: fval 0.5, every gradient 0.25" % be.name)
